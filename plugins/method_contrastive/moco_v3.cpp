#include "moco_v3.h"

#include <ATen/ATen.h>

#include "common.h"
#include "ssl/nn/losses.h"
#include "ssl/nn/method_support.h"
#include "ssl/sdk/error.h"

namespace ssl::plugins::method_contrastive {

MoCoV3::MoCoV3(const sdk::Config& cfg, const sdk::BuildContext& ctx)
    : nn::ProjectedMethod(cfg, ctx, "moco_v3"),
      temperature_(cfg.get_float("temperature")) {
  const int64_t dim = cfg.get_int("proj_dim");
  predictor_ = register_module("predictor", nn::make_head(cfg, "pred", dim, dim));
  target_ = register_module(
      "target", nn::MomentumEncoder(nn::build_backbone(ctx, "moco_v3"), *backbone_, projector_, cfg));
  to(ctx.device);
}

sdk::StepOutput MoCoV3::training_step(const sdk::Batch& batch, const sdk::StepInfo& info) {
  SSL_CHECK(batch.views.size() >= 2, "moco_v3: expected 2 views, got ", batch.views.size());
  const at::Tensor q1 = predictor_->forward(project(batch.views[0]));
  const at::Tensor q2 = predictor_->forward(project(batch.views[1]));
  const at::Tensor k1 = target_->forward(batch.views[0]);
  const at::Tensor k2 = target_->forward(batch.views[1]);
  const double scale = 2.0 * temperature_;
  sdk::StepOutput out;
  out.loss = scale * (nn::info_nce(q1, k2, temperature_, *comm_) +
                      nn::info_nce(q2, k1, temperature_, *comm_));
  out.metrics = {{"loss", out.loss.detach()},
                 {"momentum_tau", at::scalar_tensor(target_->tau(info.progress()))},
                 {"pos_sim", 0.5 * (nn::mean_cosine(q1, k2) + nn::mean_cosine(q2, k1))},
                 // two InfoNCE terms over N * W keys each, scaled by 2 * tau
                 {"uniform_loss_ref", 2.0 * scale * uniform_loss_ref(q1.size(0) * comm_->world_size())}};
  return out;
}

void MoCoV3::after_step(const sdk::StepInfo& info) {
  target_->update(*backbone_, projector_, info.progress());
}

sdk::Schema moco_v3_schema() {
  sdk::Schema s;
  // Chen et al. 2021 / solo-learn CIFAR: projector L(4096)-BN-ReLU-L(4096)-BN-ReLU-L(256)-BN
  // (no affine), predictor L(4096)-BN-ReLU-L(256).
  nn::add_head_keys(s, "proj", "projector", nn::HeadDefaults{4096, 256, 3, true, true});
  nn::add_head_keys(s, "pred", "predictor", nn::HeadDefaults{4096, 0, 2, true, false});
  s.add_float("temperature", 0.2, "InfoNCE temperature tau (solo-learn CIFAR: 0.2; paper ImageNet ResNet: 1.0)")
      .greater_than(0);
  nn::add_momentum_keys(s, 0.99, 1.0, "MoCo v3: 0.99 -> 1.0 cosine");
  return s;
}

std::shared_ptr<sdk::Method> make_moco_v3(const sdk::Config& cfg, const sdk::BuildContext& ctx) {
  return std::make_shared<MoCoV3>(cfg, ctx);
}

}  // namespace ssl::plugins::method_contrastive
