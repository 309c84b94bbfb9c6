#pragma once
// What DANCE and its source-only baseline share: the backbone, a cosine classifier over the
// classes of the labelled source, the source cross-entropy and the predictions the open_set
// evaluator reads.
//
// The classifier: logits = norm(f) norm(W)^T / T over the source's K classes (the labels that
// occur in [data.source], BuildContext::class_ids; column k is class_ids[k]). W's rows are
// rescaled to unit norm after every optimizer step (and at the start), as the authors' code
// does, so the logits are cosines / T. Temperature 0.05 (the paper's).
//
// Checkpointed state: backbone, classifier.weight; the label -> column map is a buffer.
#include <ATen/core/Tensor.h>
#include <torch/nn/modules/linear.h>

#include <memory>
#include <vector>

#include "ssl/sdk/backbone.h"
#include "ssl/sdk/config.h"
#include "ssl/sdk/context.h"
#include "ssl/sdk/method.h"
#include "ssl/sdk/schema.h"

namespace ssl::plugins::method_adaptation {

class DomainClassifier : public sdk::Method {
 public:
  DomainClassifier(const sdk::Config& cfg, const sdk::BuildContext& ctx, std::string method);

  // The "temperature" key of both methods.
  static void add_classifier_keys(sdk::Schema& schema);
  static sdk::ViewSpec views(const sdk::Config&) { return {1, 1, false}; }
  static bool uses_labels(const sdk::Config&) { return true; }
  static bool uses_target_domain(const sdk::Config&) { return true; }

  std::shared_ptr<sdk::Backbone> backbone() const override { return backbone_; }
  at::Tensor predict(const at::Tensor& images) override;
  std::vector<int64_t> prediction_classes() const override { return class_ids_; }
  void after_step(const sdk::StepInfo& info) override;

 protected:
  // L2-normalised backbone features [N, D] of images.
  at::Tensor features(const at::Tensor& images);
  // Classifier logits of normalised features: [N, D] -> [N, K] (cosine / T).
  at::Tensor logits(const at::Tensor& normalized);
  // Dataset labels [N] -> classifier columns [N].
  at::Tensor columns(const at::Tensor& labels) const;
  // The supervised part both methods share: the cross-entropy of the source batch (views[0],
  // labels) and its top-1 accuracy (detached). Checks the batch has labelled source views.
  struct SourceTerms {
    at::Tensor ce, accuracy;
  };
  SourceTerms source_terms(const sdk::Batch& batch);
  int64_t num_known() const { return static_cast<int64_t>(class_ids_.size()); }
  double temperature() const { return temperature_; }
  void normalize_prototypes();

 private:
  std::string method_;
  double temperature_;
  std::vector<int64_t> class_ids_;
  std::shared_ptr<sdk::Backbone> backbone_;
  torch::nn::Linear classifier_{nullptr};  // weight [K, D], rows of unit norm, no bias
  at::Tensor to_column_;  // [num_classes] int64: the column of each label, -1 for a label not in the source
};

}  // namespace ssl::plugins::method_adaptation
