#pragma once
// Checked feature extraction shared by the evaluators of this plugin.
#include <ATen/core/Tensor.h>

#include <cstdint>
#include <string>

#include "ssl/sdk/evaluator.h"
#include "ssl/sdk/features.h"

namespace ssl::plugins::evaluator_core {

// ctx.features->extract(request), checked: the source exists, the split is non-empty
// (otherwise "<evaluator> needs a <split> split: add [data.<split>] to the pipeline"), values
// are [N, D] (or [V, N, D] with request.augmented_views = V) and labels are [N].
sdk::Features extract_split(sdk::EvalContext& ctx, const sdk::FeatureRequest& request,
                            const std::string& evaluator);

struct LabelledFeatures {
  at::Tensor values;  // [M, D] float32
  at::Tensor labels;  // [M] int64, all >= 0
};

// The labelled samples (label >= 0) of `features`. Throws a clear error when none is labelled
// (an unlabelled dataset cannot be scored by kNN or a linear probe); warns when some are not.
LabelledFeatures keep_labelled(const sdk::Features& features, sdk::Split split,
                               const std::string& evaluator);

// max(source.num_classes(Train), largest label seen + 1): robust to a source that does not
// know its class count (returns 0) and to labels beyond the declared count.
int64_t infer_num_classes(const sdk::FeatureSource& source, const at::Tensor& train_labels,
                          const at::Tensor& test_labels);

// The labelled backbone features of the train and test splits (each a seeded subset of at
// most max_train / max_test samples, 0 = all) and the class count: what kNN and the linear
// probe both start from.
struct TrainTestFeatures {
  LabelledFeatures train, test;
  int64_t num_classes = 0;
};
TrainTestFeatures labelled_train_test(sdk::EvalContext& ctx, int64_t max_train, int64_t max_test,
                                      const std::string& evaluator);

}  // namespace ssl::plugins::evaluator_core
