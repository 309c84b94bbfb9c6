#pragma once
// Classes grouped by how many training images they had, and per-class accuracy: what the
// `per_class` key of knn and linear and the `balance` evaluator report on long-tailed training
// data (head = the most frequent classes, tail = the rarest).
#include <ATen/core/Tensor.h>

#include <cstdint>
#include <vector>

#include "ssl/sdk/evaluator.h"
#include "ssl/sdk/schema.h"

namespace ssl::plugins::evaluator_core {

struct ClassGroups {
  std::vector<int64_t> head, tail;  // labels; empty when the training counts are unknown
};

// Sorts the C classes that have training images by their count (most first; equal counts by
// label, so on balanced data head = the lowest labels, the same classes a long-tail profile
// ranked by label makes head) and takes the first and the last ceil(C / 3) of them as head and
// tail (C >= 2, else both empty; C = 10: 4 each, the 2 in the middle in neither).
ClassGroups head_and_tail(const std::vector<int64_t>& train_class_counts);

// Accuracy of each class: predictions and labels [N] int64 (labels in [0, C)); NaN for a class
// without samples.
std::vector<double> per_class_accuracy(const at::Tensor& predictions, const at::Tensor& labels, int64_t num_classes);

// Mean of `values` over the labels in `classes` that have a value (not NaN); NaN if none.
double group_mean(const std::vector<double>& values, const std::vector<int64_t>& classes);

// Appends "class<c>/top1" for every class with samples, "worst_class/top1" and, when the
// training counts are known, "head/top1" and "tail/top1" (the mean class accuracy of each group).
// The key that turns them on: per_class (bool, default false).
void add_per_class_key(sdk::Schema& schema);

void add_per_class_metrics(const at::Tensor& predictions, const at::Tensor& labels, int64_t num_classes,
                           const std::vector<int64_t>& train_class_counts, sdk::EvalResult& out);

}  // namespace ssl::plugins::evaluator_core
