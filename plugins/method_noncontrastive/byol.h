#pragma once
// BYOL (Grill et al., NeurIPS 2020): online backbone + projector + predictor; target backbone +
// projector = EMA of the online ones only (nn::MomentumEncoder: requires_grad false, never in
// the optimizer), tau 0.99 -> 1.0 with the cosine schedule, updated after every step.
// Loss: byol_loss(p1, sg(z2')) + byol_loss(p2, sg(z1')), each mean 2 - 2 cos (so in [0, 8]).
// Projector and predictor L(4096)-BN-ReLU-L(256).
#include <ATen/core/Tensor.h>

#include <memory>

#include "ssl/nn/head.h"
#include "ssl/nn/momentum.h"
#include "ssl/nn/method_support.h"
#include "ssl/sdk/backbone.h"
#include "ssl/sdk/config.h"
#include "ssl/sdk/context.h"
#include "ssl/sdk/method.h"
#include "ssl/sdk/schema.h"

namespace ssl::plugins::method_noncontrastive {

class BYOL final : public nn::ProjectedMethod {
 public:
  BYOL(const sdk::Config& cfg, const sdk::BuildContext& ctx);

  // views[0], views[1]: [N, C, H, W] -> loss; metrics loss, momentum_tau, z_std.
  sdk::StepOutput training_step(const sdk::Batch& batch, const sdk::StepInfo& info) override;
  // EMA of the target with the cosine momentum of info.progress().
  void after_step(const sdk::StepInfo& info) override;

 private:
  nn::MLPHead predictor_{nullptr};
  nn::MomentumEncoder target_{nullptr};
};

sdk::Schema byol_schema();
std::shared_ptr<sdk::Method> make_byol(const sdk::Config& cfg, const sdk::BuildContext& ctx);

}  // namespace ssl::plugins::method_noncontrastive
