#pragma once
// The scores of open-set and universal domain adaptation on labelled target data, from a
// classifier's probabilities over the source's classes (the open_set evaluator).
#include <ATen/core/Tensor.h>

#include <cstdint>

namespace ssl::plugins::evaluator_core {

struct OpenSetScores {
  int64_t known_samples = 0;    // samples of a class the classifier knows (a shared class)
  int64_t unknown_samples = 0;  // samples of a class it does not (target-private)
  // Mean over the shared classes of the fraction of their samples predicted as their class and
  // not rejected as unknown (NaN without shared samples).
  double known_acc = 0;
  // The same with every sample assigned its argmax class, nothing rejected: the closed-set
  // accuracy, for settings without target-private classes.
  double closed_acc = 0;
  // Fraction of the target-private samples rejected as unknown (NaN without such samples).
  double unknown_recall = 0;
  // Fraction of the shared-class samples rejected as unknown (NaN without them).
  double false_unknown = 0;
  // Harmonic mean of known_acc and unknown_recall (NaN when either is; 0 when both are 0).
  double h_score = 0;
};

// probabilities [N, K] over the classes class_ids [K] (dataset labels), labels [N] (>= 0): a
// sample is rejected as unknown when the entropy of its probabilities exceeds `threshold`.
OpenSetScores open_set_scores(const at::Tensor& probabilities, const at::Tensor& class_ids, const at::Tensor& labels,
                              double threshold);

}  // namespace ssl::plugins::evaluator_core
