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

// The labelled samples (label >= 0) of `features`. Throws a clear error when none is labelled
// (an unlabelled dataset cannot be scored by kNN or a linear probe); warns when some are not.
LabelledFeatures keep_labelled(const sdk::Features& features, sdk::Split split, const std::string& evaluator);

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

// The seeded train / test subsets kNN and the linear probe score: the keys max_train and
// max_test (0: the whole split) and the labelled features they select.
class TrainTestSubset {
 public:
  // Adds max_train (its doc: `train_doc`) and max_test.
  static void add_keys(sdk::Schema& schema, const std::string& train_doc);
  explicit TrainTestSubset(const sdk::Config& config)
      : max_train_(config.get_int("max_train")), max_test_(config.get_int("max_test")) {}
  // labelled_train_test with these sizes.
  TrainTestFeatures features(sdk::EvalContext& ctx, const std::string& evaluator) const {
    return labelled_train_test(ctx, max_train_, max_test_, evaluator);
  }

 private:
  int64_t max_train_, max_test_;
};

}  // namespace ssl::plugins::evaluator_core
