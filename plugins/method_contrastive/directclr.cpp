#include "directclr.h"

#include <ATen/ATen.h>

#include "common.h"
#include "ssl/nn/losses.h"
#include "ssl/nn/method_support.h"
#include "ssl/sdk/error.h"

namespace ssl::plugins::method_contrastive {

DirectCLR::DirectCLR(const sdk::Config& cfg, const sdk::BuildContext& ctx)
    : temperature_(cfg.get_float("temperature")), d0_(cfg.get_int("d0")) {
  backbone_ = register_module("backbone", nn::build_backbone(ctx, "directclr"));
  SSL_CHECK(d0_ <= backbone_->num_features(), "method directclr: d0 = ", d0_,
            " exceeds the backbone's ", backbone_->num_features(),
            " features (paper: 360 of 2048, i.e. about 18% of the representation)");
  comm_ = nn::resolve_comm(ctx);
  to(ctx.device);
}

sdk::StepOutput DirectCLR::training_step(const sdk::Batch& batch, const sdk::StepInfo& info) {
  (void)info;
  SSL_CHECK(batch.views.size() >= 2, "directclr: expected 2 views, got ", batch.views.size());
  const at::Tensor r1 = backbone_->forward(batch.views[0]).narrow(1, 0, d0_);
  const at::Tensor r2 = backbone_->forward(batch.views[1]).narrow(1, 0, d0_);
  sdk::StepOutput out;
  out.loss = nn::nt_xent_loss(r1, r2, temperature_, *comm_);
  const PairSimilarity sim = pair_similarity(r1, r2);
  out.metrics = {{"loss", out.loss.detach()},
                 {"pos_sim", sim.pos_sim},
                 {"neg_sim", sim.neg_sim},
                 {"uniform_loss_ref", uniform_loss_ref(2 * r1.size(0) * comm_->world_size() - 1)}};
  return out;
}

at::Tensor DirectCLR::embed(const at::Tensor& images) { return backbone_->forward(images); }

sdk::Schema directclr_schema() {
  sdk::Schema s;
  s.add_int("d0", 90,
            "leading representation dimensions the loss sees (paper: 360 of 2048 for ResNet-50; "
            "scaled to 512-d: 90; 256-d: 45)")
      .min(1);
  s.add_float("temperature", 0.1, "InfoNCE temperature tau (DirectCLR: 0.1)").greater_than(0);
  return s;
}

std::shared_ptr<sdk::Method> make_directclr(const sdk::Config& cfg, const sdk::BuildContext& ctx) {
  return std::make_shared<DirectCLR>(cfg, ctx);
}

}  // namespace ssl::plugins::method_contrastive
