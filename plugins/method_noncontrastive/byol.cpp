#include "byol.h"

#include <ATen/ATen.h>

#include "ssl/nn/collapse_metrics.h"
#include "ssl/nn/losses.h"
#include "ssl/nn/method_support.h"
#include "ssl/sdk/error.h"

namespace ssl::plugins::method_noncontrastive {

BYOL::BYOL(const sdk::Config& cfg, const sdk::BuildContext& ctx)
    : nn::ProjectedMethod(cfg, ctx, "byol") {
  const int64_t dim = cfg.get_int("proj_dim");
  predictor_ = register_module("predictor", nn::make_head(cfg, "pred", dim, dim));
  target_ = register_module(
      "target", nn::MomentumEncoder(nn::build_backbone(ctx, "byol"), *backbone_, projector_, cfg));
  to(ctx.device);
}

sdk::StepOutput BYOL::training_step(const sdk::Batch& batch, const sdk::StepInfo& info) {
  SSL_CHECK(batch.views.size() >= 2, "byol: expected 2 views, got ", batch.views.size());
  const at::Tensor z1 = project(batch.views[0]);
  const at::Tensor z2 = project(batch.views[1]);
  const at::Tensor p1 = predictor_->forward(z1);
  const at::Tensor p2 = predictor_->forward(z2);
  const at::Tensor t1 = target_->forward(batch.views[0]);  // no gradient by construction
  const at::Tensor t2 = target_->forward(batch.views[1]);
  sdk::StepOutput out;
  out.loss = nn::byol_loss(p1, t2.detach()) + nn::byol_loss(p2, t1.detach());
  out.metrics = {{"loss", out.loss.detach()},
                 {"momentum_tau", at::scalar_tensor(target_->tau(info.progress()))},
                 {"z_std", nn::normalized_std_scalar(z1)}};
  return out;
}

void BYOL::after_step(const sdk::StepInfo& info) {
  target_->update(*backbone_, projector_, info.progress());
}

sdk::Schema byol_schema() {
  sdk::Schema s;
  // Grill et al. 2020: projector and predictor L(4096)-BN-ReLU-L(256).
  nn::add_head_keys(s, "proj", "projector", nn::HeadDefaults{4096, 256, 2, true, false});
  nn::add_head_keys(s, "pred", "predictor", nn::HeadDefaults{4096, 0, 2, true, false});
  nn::add_momentum_keys(s, 0.99, 1.0, "BYOL: 0.99 -> 1.0 cosine; 0.996 at batch 4096 on ImageNet");
  return s;
}

std::shared_ptr<sdk::Method> make_byol(const sdk::Config& cfg, const sdk::BuildContext& ctx) {
  return std::make_shared<BYOL>(cfg, ctx);
}

}  // namespace ssl::plugins::method_noncontrastive
