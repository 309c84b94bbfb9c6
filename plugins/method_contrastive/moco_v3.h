#pragma once
// MoCo v3 (Chen, Xie, He, ICCV 2021): no queue; query = predictor(projector(backbone(x))),
// key = momentum encoder (EMA copies of backbone + projector). For each view pair,
// CE(q k^T / tau) with the in-batch keys of the global batch as negatives (gathered without
// gradient), scaled by 2 tau, symmetrised: loss = ctr(q1, k2) + ctr(q2, k1). tau 0.2
// (solo-learn CIFAR). Projector 3 layers with BN and a last BN without affine, predictor
// 2 layers with BN (paper, Sec. 4 / official code).
#include <ATen/core/Tensor.h>

#include <memory>

#include "ssl/nn/head.h"
#include "ssl/nn/momentum.h"
#include "ssl/nn/method_support.h"
#include "ssl/sdk/backbone.h"
#include "ssl/sdk/comm.h"
#include "ssl/sdk/config.h"
#include "ssl/sdk/context.h"
#include "ssl/sdk/method.h"
#include "ssl/sdk/schema.h"

namespace ssl::plugins::method_contrastive {

class MoCoV3 final : public nn::ProjectedMethod {
 public:
  MoCoV3(const sdk::Config& cfg, const sdk::BuildContext& ctx);

  // views[0], views[1]: [N, C, H, W] -> loss; metrics loss, momentum_tau, pos_sim.
  sdk::StepOutput training_step(const sdk::Batch& batch, const sdk::StepInfo& info) override;
  void after_step(const sdk::StepInfo& info) override;

 private:
  nn::MLPHead predictor_{nullptr};
  nn::MomentumEncoder target_{nullptr};
  double temperature_;
};

sdk::Schema moco_v3_schema();
std::shared_ptr<sdk::Method> make_moco_v3(const sdk::Config& cfg, const sdk::BuildContext& ctx);

}  // namespace ssl::plugins::method_contrastive
