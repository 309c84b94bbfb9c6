// The supervised baseline: cross-entropy on the labels of the training split with the same
// backbone as every self-supervised method and a linear head, logits = W f(x) + b over the
// dataset's classes. The reference every SSL result is compared with: same data, same
// augmentation, same evaluators, only the labels added.
//
// It declares uses_labels(), so the host hands it Batch::labels (in [0, num_classes)) and
// refuses a training split without labels; the head's width is BuildContext::num_classes.
// Each view of an image is one labelled sample: the loss is the mean cross-entropy over the
// views (one view is the usual recipe; two give twice the augmented samples per image).
//
// Checkpointed state: backbone, head.
#include <ATen/ATen.h>
#include <torch/nn/modules/linear.h>

#include <memory>

#include "ssl/nn/contrastive_metrics.h"
#include "ssl/nn/method_support.h"
#include "ssl/sdk/error.h"
#include "ssl/sdk/registrar.h"

namespace ssl::plugins::method_supervised {
namespace {

class Supervised final : public sdk::Method {
 public:
  Supervised(const sdk::Config& cfg, const sdk::BuildContext& ctx)
      : classes_(ctx.num_classes), label_smoothing_(cfg.get_float("label_smoothing")) {
    SSL_CHECK(classes_ >= 2, "supervised: the training split has ", classes_,
              " class(es) (BuildContext::num_classes); it needs labels of at least 2 classes");
    backbone_ = register_module("backbone", nn::build_backbone(ctx, "supervised"));
    head_ = register_module("head", torch::nn::Linear(backbone_->num_features(), classes_));
  }

  static sdk::Schema schema() {
    sdk::Schema s;
    s.add_float("label_smoothing", 0.0, "label smoothing of the cross-entropy (0: none)").range(0, 0.5);
    return s;
  }
  static sdk::ViewSpec views(const sdk::Config&) { return {1, 8, false}; }
  static bool uses_labels(const sdk::Config&) { return true; }

  std::shared_ptr<sdk::Backbone> backbone() const override { return backbone_; }

  // views: V augmented copies of each image, labels [N] -> loss; metrics loss, accuracy (top-1
  // of the batch's first view), uniform_loss_ref = ln(classes).
  sdk::StepOutput training_step(const sdk::Batch& batch, const sdk::StepInfo&) override {
    SSL_CHECK(batch.labels.defined(), "supervised: the batch has no labels");
    SSL_CHECK(!batch.views.empty(), "supervised: the batch has no views");
    at::Tensor loss, first_logits;
    for (const auto& view : batch.views) {
      const at::Tensor logits = head_->forward(backbone_->forward(view));
      const at::Tensor l = at::cross_entropy_loss(logits, batch.labels, {}, at::Reduction::Mean, -100, label_smoothing_);
      loss = loss.defined() ? loss + l : l;
      if (!first_logits.defined()) first_logits = logits;
    }
    sdk::StepOutput out;
    out.loss = loss / double(batch.views.size());
    const at::Tensor accuracy = (first_logits.detach().argmax(1) == batch.labels).to(at::kFloat).mean();
    out.metrics = {{"loss", out.loss.detach()},
                   {"accuracy", accuracy},
                   {sdk::metric::kUniformLossRef, nn::uniform_loss_ref(classes_)}};
    return out;
  }

 private:
  int64_t classes_;
  double label_smoothing_;
  std::shared_ptr<sdk::Backbone> backbone_;
  torch::nn::Linear head_{nullptr};
};

}  // namespace

void register_supervised(sdk::Registrar& r) {
  r.add_method<Supervised>("supervised",
                           "supervised baseline: cross-entropy on the labels, same backbone, a linear head");
}

}  // namespace ssl::plugins::method_supervised
