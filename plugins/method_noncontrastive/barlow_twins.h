#pragma once
// Barlow Twins (Zbontar et al., ICML 2021): z = projector(backbone(x)); C = cross-correlation
// of the batch-normalised z1, z2 along the batch, summed over processes (nn::cross_correlation);
// loss = scale_loss * (sum_i (1 - C_ii)^2 + lambda sum_{i != j} C_ij^2), lambda 0.0051,
// scale_loss 0.1 (solo-learn CIFAR; 1 in the paper). Projector 3 x L(2048) with BN-ReLU
// between (solo-learn CIFAR; the paper uses 8192 on ImageNet).
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

class BarlowTwins final : public nn::ProjectedMethod {
 public:
  BarlowTwins(const sdk::Config& cfg, const sdk::BuildContext& ctx);

  // views[0], views[1]: [N, C, H, W] -> loss; metrics loss, on_diag, off_diag (unscaled sums).
  sdk::StepOutput training_step(const sdk::Batch& batch, const sdk::StepInfo& info) override;

 private:
  double lambda_;
  double scale_loss_;
};

sdk::Schema barlow_twins_schema();
std::shared_ptr<sdk::Method> make_barlow_twins(const sdk::Config& cfg, const sdk::BuildContext& ctx);

}  // namespace ssl::plugins::method_noncontrastive
