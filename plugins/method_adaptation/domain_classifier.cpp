#include "domain_classifier.h"

#include <ATen/ATen.h>

#include <utility>

#include "ssl/nn/losses.h"
#include "ssl/nn/method_support.h"
#include "ssl/sdk/error.h"

namespace ssl::plugins::method_adaptation {

DomainClassifier::DomainClassifier(const sdk::Config& cfg, const sdk::BuildContext& ctx, std::string method)
    : method_(std::move(method)), temperature_(cfg.get_float("temperature")), class_ids_(ctx.class_ids) {
  SSL_CHECK(class_ids_.size() >= 2, method_, ": the source [data.source] has labels of ", class_ids_.size(),
            " class(es) (BuildContext::class_ids); it needs at least 2");
  backbone_ = register_module("backbone", nn::build_backbone(ctx, method_));
  classifier_ = register_module(
      "classifier", torch::nn::Linear(torch::nn::LinearOptions(backbone_->num_features(), num_known()).bias(false)));
  at::Tensor map = at::full({std::max<int64_t>(ctx.num_classes, class_ids_.back() + 1)}, -1, at::kLong);
  for (int64_t k = 0; k < num_known(); ++k) map[class_ids_[static_cast<size_t>(k)]] = k;
  to_column_ = register_buffer("label_to_column", map);
  normalize_prototypes();
}

void DomainClassifier::add_classifier_keys(sdk::Schema& s) {
  s.add_float("temperature", 0.05, "temperature T of the cosine classifier: logits = cos(f, w_k) / T")
      .greater_than(0)
      .max(1);
}

at::Tensor DomainClassifier::features(const at::Tensor& images) {
  return nn::l2_normalize(backbone_->forward(images));
}

at::Tensor DomainClassifier::logits(const at::Tensor& normalized) {
  return classifier_->forward(normalized) / temperature_;
}

at::Tensor DomainClassifier::columns(const at::Tensor& labels) const {
  // The host hands labels in [0, num_classes) that occur in the source, so each has a column.
  return to_column_.index_select(0, labels);
}

DomainClassifier::SourceTerms DomainClassifier::source_terms(const sdk::Batch& batch) {
  SSL_CHECK(batch.labels.defined() && !batch.views.empty(), method_, ": the batch has no labelled source views");
  const at::Tensor labels = columns(batch.labels);
  const at::Tensor source_logits = logits(features(batch.views[0]));
  return {at::cross_entropy_loss(source_logits, labels),
          (source_logits.detach().argmax(1) == labels).to(at::kFloat).mean()};
}

at::Tensor DomainClassifier::predict(const at::Tensor& images) {
  return at::softmax(logits(features(images)), 1);
}

void DomainClassifier::normalize_prototypes() {
  at::NoGradGuard no_grad;
  classifier_->weight.copy_(nn::l2_normalize(classifier_->weight));
}

void DomainClassifier::after_step(const sdk::StepInfo&) { normalize_prototypes(); }

}  // namespace ssl::plugins::method_adaptation
