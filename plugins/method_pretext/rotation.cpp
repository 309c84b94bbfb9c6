// Rotation prediction (Gidaris, Singh, Komodakis, "Unsupervised Representation Learning by
// Predicting Image Rotations", ICLR 2018). Every image of the batch is shown in all four
// rotations, 0, 90, 180 and 270 degrees (exact rot90 of the tensor: no interpolation, no
// border), and the backbone followed by a small head classifies which one it sees: a 4-way
// cross-entropy over the 4N rotated copies, forwarded together so BatchNorm sees all of them
// (the paper trains on all four rotations of each image at once, which it found better than
// one random rotation per image). The labels of the dataset are never used: the rotation is
// the target.
//
// The backbone is the trunk that evaluators and backbone.pt use; the head (the "head_*" keys,
// an MLP to 4 logits) exists only for the pretext task.
//
// Checkpointed state: backbone, head.
#include <ATen/ATen.h>

#include <memory>
#include <vector>

#include "ssl/nn/head.h"
#include "ssl/nn/method_support.h"
#include "ssl/sdk/error.h"
#include "ssl/sdk/registrar.h"

#include "pretext_common.h"

namespace ssl::plugins::method_pretext {
namespace {

constexpr int64_t kRotations = 4;

class Rotation final : public sdk::Method {
 public:
  Rotation(const sdk::Config& cfg, const sdk::BuildContext& ctx) {
    backbone_ = register_module("backbone", nn::build_backbone(ctx, "rotation"));
    head_ = register_module("head", nn::make_head(cfg, "head", backbone_->num_features(), kRotations));
  }

  static sdk::Schema schema() {
    sdk::Schema s;
    nn::add_head_keys(s, "head", "rotation classifier (to 4 logits)", nn::HeadDefaults{512, 0, 2, true, false});
    return s;
  }
  static sdk::ViewSpec views(const sdk::Config&) { return {1, 1, false}; }

  std::shared_ptr<sdk::Backbone> backbone() const override { return backbone_; }

  // images [N, C, H, W] (H = W) -> the 4N copies rotated by r * 90 degrees counter-clockwise,
  // rotation-major ([x rot0; x rot90; x rot180; x rot270]), and their targets r.
  static std::pair<at::Tensor, at::Tensor> rotated(const at::Tensor& images) {
    SSL_CHECK(images.dim() == 4 && images.size(2) == images.size(3), "rotation: needs square views [N, C, H, H], got ",
              images.sizes());
    std::vector<at::Tensor> copies;
    for (int64_t r = 0; r < kRotations; ++r) copies.push_back(at::rot90(images, r, {2, 3}));
    const at::Tensor targets =
        at::arange(kRotations, images.options().dtype(at::kLong)).repeat_interleave(images.size(0));
    return {at::cat(copies, 0), targets};
  }

  // views: one view -> loss; metrics loss, accuracy (of the 4N predictions), uniform_loss_ref ln 4.
  sdk::StepOutput training_step(const sdk::Batch& batch, const sdk::StepInfo&) override {
    SSL_CHECK(batch.views.size() == 1, "rotation: expects 1 view, got ", batch.views.size());
    const auto [images, targets] = rotated(batch.views[0]);
    const at::Tensor logits = head_->forward(backbone_->forward(images));
    return classification_output(logits, targets, kRotations);
  }

 private:
  std::shared_ptr<sdk::Backbone> backbone_;
  nn::MLPHead head_{nullptr};
};

}  // namespace

void register_rotation(sdk::Registrar& r) {
  r.add_method<Rotation>("rotation", "rotation prediction: a 4-way classifier of 0/90/180/270-degree rotations");
}

}  // namespace ssl::plugins::method_pretext
