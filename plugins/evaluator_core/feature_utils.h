#pragma once
// Checked feature extraction shared by the evaluators of this plugin.
#include <ATen/core/Tensor.h>

#include <cstdint>
#include <string>

#include "ssl/sdk/config.h"
#include "ssl/sdk/evaluator.h"
#include "ssl/sdk/features.h"
#include "ssl/sdk/schema.h"

namespace ssl::plugins::evaluator_core {

// ctx.features->extract(request), checked: the source exists, the split is non-empty
// (otherwise "<evaluator> needs a <split> split: add [data.<split>] to the pipeline"), values
// are [N, D] (or [V, N, D] with request.augmented_views = V) and labels are [N].
sdk::Features extract_split(sdk::EvalContext& ctx, const sdk::FeatureRequest& request, const std::string& evaluator);

struct LabelledFeatures {
  at::Tensor values;  // [M, D] float32
  at::Tensor labels;  // [M] int64, all >= 0
};

// The labelled backbone features of the train and test splits (each a seeded subset of at
// most max_train / max_test samples, 0 = all) and the class count: what kNN and the linear
// probe both start from.
// Unlabelled samples (label < 0) are dropped with a warning; none labelled is a clear error.
// The class count is max(the source's count, the largest label seen + 1).
struct TrainTestFeatures {
  LabelledFeatures train, test;
  int64_t num_classes = 0;
};

// The seeded train / test subsets kNN and the linear probe score: the keys max_train and
// max_test (0: the whole split) and the labelled features they select.
class TrainTestSubset {
 public:
  // Adds max_train (its doc: `train_doc`) and max_test.
  static void add_keys(sdk::Schema& schema, const std::string& train_doc);
  explicit TrainTestSubset(const sdk::Config& config)
      : max_train_(config.get_int("max_train")), max_test_(config.get_int("max_test")) {}
  // The train / test features at these sizes.
  TrainTestFeatures features(sdk::EvalContext& ctx, const std::string& evaluator) const;

 private:
  int64_t max_train_, max_test_;
};

}  // namespace ssl::plugins::evaluator_core
