// DirectCLR (Jing, Vincent, LeCun, Tian, ICLR 2022, "Understanding Dimensional Collapse in
// Contrastive Self-supervised Learning"): no projector; the NT-Xent (InfoNCE) loss, tau 0.1,
// is applied directly to the first d0 dimensions of the backbone representation r = f(x),
// which keeps the representation from collapsing dimensionally. The paper uses d0 = 360 of
// ResNet-50's 2048; the default 90 scales it to 512-d backbones (360 / 2048 * 512 = 90).
// embed() returns the full representation.
#include <ATen/ATen.h>

#include <memory>

#include "ssl/nn/contrastive_metrics.h"
#include "ssl/nn/losses.h"
#include "ssl/nn/method_support.h"
#include "ssl/sdk/error.h"
#include "ssl/sdk/registrar.h"

namespace ssl::plugins::method_contrastive {
namespace {

class DirectCLR final : public sdk::Method {
 public:
  DirectCLR(const sdk::Config& cfg, const sdk::BuildContext& ctx)
      : temperature_(cfg.get_float("temperature")), d0_(cfg.get_int("d0")) {
    backbone_ = register_module("backbone", nn::build_backbone(ctx, "directclr"));
    SSL_CHECK(d0_ <= backbone_->num_features(), "method directclr: d0 = ", d0_, " exceeds the backbone's ",
              backbone_->num_features(), " features (paper: 360 of 2048, i.e. about 18% of the representation)");
    comm_ = nn::resolve_comm(ctx);
  }

  static sdk::Schema schema() {
    sdk::Schema s;
    s.add_int("d0", 90,
              "leading representation dimensions the loss sees (paper: 360 of 2048 for ResNet-50; "
              "scaled to 512-d: 90; 256-d: 45)")
        .min(1);
    s.add_float("temperature", 0.1, "InfoNCE temperature tau (DirectCLR: 0.1)").greater_than(0);
    return s;
  }

  // views[0], views[1]: [N, C, H, W] -> NT-Xent on r[:, :d0]; metrics loss, pos_sim, neg_sim,
  // uniform_loss_ref.
  sdk::StepOutput training_step(const sdk::Batch& batch, const sdk::StepInfo&) override {
    const at::Tensor r1 = backbone_->forward(batch.views[0]).narrow(1, 0, d0_);
    const at::Tensor r2 = backbone_->forward(batch.views[1]).narrow(1, 0, d0_);
    sdk::StepOutput out;
    out.loss = nn::nt_xent_loss(r1, r2, temperature_, *comm_);
    const nn::PairSimilarity sim = nn::pair_similarity(r1, r2);
    out.metrics = {{"loss", out.loss.detach()},
                   {"pos_sim", sim.pos_sim},
                   {"neg_sim", sim.neg_sim},
                   {sdk::metric::kUniformLossRef, nn::uniform_loss_ref(2 * r1.size(0) * comm_->world_size() - 1)}};
    return out;
  }

  std::shared_ptr<sdk::Backbone> backbone() const override { return backbone_; }
  // images [N, C, H, W] -> full backbone representation [N, F].
  at::Tensor embed(const at::Tensor& images) override { return backbone_->forward(images); }

 private:
  std::shared_ptr<sdk::Backbone> backbone_;
  std::shared_ptr<sdk::Comm> comm_;
  double temperature_;
  int64_t d0_;
};

}  // namespace

void register_directclr(sdk::Registrar& r) {
  r.add_method<DirectCLR>("directclr", "DirectCLR: InfoNCE on the first d0 backbone dimensions, no projector");
}

}  // namespace ssl::plugins::method_contrastive
