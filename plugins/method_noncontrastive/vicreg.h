#pragma once
// VICReg (Bardes, Ponce, LeCun, ICLR 2022): z = projector(backbone(x));
// loss = 25 * MSE(z1, z2) + 25 * variance hinge + 1 * covariance (nn::vicreg_loss), the
// variance and covariance statistics over the global batch (gathered with gradient).
// Projector 3 x L(2048) with BN-ReLU between (solo-learn CIFAR; paper ImageNet: 8192).
#include <ATen/core/Tensor.h>

#include <memory>

#include "ssl/nn/head.h"
#include "ssl/nn/method_support.h"
#include "ssl/sdk/backbone.h"
#include "ssl/sdk/comm.h"
#include "ssl/sdk/config.h"
#include "ssl/sdk/context.h"
#include "ssl/sdk/method.h"
#include "ssl/sdk/schema.h"

namespace ssl::plugins::method_noncontrastive {

class VICReg final : public nn::ProjectedMethod {
 public:
  VICReg(const sdk::Config& cfg, const sdk::BuildContext& ctx);

  // views[0], views[1]: [N, C, H, W] -> loss; metrics loss, invariance, variance, covariance
  // (unweighted terms).
  sdk::StepOutput training_step(const sdk::Batch& batch, const sdk::StepInfo& info) override;

 private:
  double sim_weight_, var_weight_, cov_weight_;
};

sdk::Schema vicreg_schema();
std::shared_ptr<sdk::Method> make_vicreg(const sdk::Config& cfg, const sdk::BuildContext& ctx);

}  // namespace ssl::plugins::method_noncontrastive
