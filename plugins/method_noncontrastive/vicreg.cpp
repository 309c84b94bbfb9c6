#include "vicreg.h"

#include <ATen/ATen.h>

#include "ssl/nn/losses.h"
#include "ssl/nn/method_support.h"
#include "ssl/sdk/error.h"

namespace ssl::plugins::method_noncontrastive {

VICReg::VICReg(const sdk::Config& cfg, const sdk::BuildContext& ctx)
    : nn::ProjectedMethod(cfg, ctx, "vicreg"),
      sim_weight_(cfg.get_float("sim_weight")),
      var_weight_(cfg.get_float("var_weight")),
      cov_weight_(cfg.get_float("cov_weight")) {
  to(ctx.device);
}

sdk::StepOutput VICReg::training_step(const sdk::Batch& batch, const sdk::StepInfo& info) {
  (void)info;
  SSL_CHECK(batch.views.size() >= 2, "vicreg: expected 2 views, got ", batch.views.size());
  const at::Tensor z1 = project(batch.views[0]);
  const at::Tensor z2 = project(batch.views[1]);
  const nn::VICRegTerms t =
      nn::vicreg_loss(z1, z2, sim_weight_, var_weight_, cov_weight_, *comm_);
  sdk::StepOutput out;
  out.loss = t.loss;
  out.metrics = {{"loss", t.loss.detach()},
                 {"invariance", t.invariance.detach()},
                 {"variance", t.variance.detach()},
                 {"covariance", t.covariance.detach()}};
  return out;
}

sdk::Schema vicreg_schema() {
  sdk::Schema s;
  // Solo-learn CIFAR: 3 x L(2048) with BN-ReLU between; paper ImageNet: 8192.
  nn::add_head_keys(s, "proj", "projector", nn::HeadDefaults{2048, 2048, 3, true, false});
  s.add_float("sim_weight", 25.0, "weight of the invariance (MSE) term (VICReg: 25)").min(0);
  s.add_float("var_weight", 25.0, "weight of the variance hinge (VICReg: 25)").min(0);
  s.add_float("cov_weight", 1.0, "weight of the covariance term (VICReg: 1)").min(0);
  return s;
}

std::shared_ptr<sdk::Method> make_vicreg(const sdk::Config& cfg, const sdk::BuildContext& ctx) {
  return std::make_shared<VICReg>(cfg, ctx);
}

}  // namespace ssl::plugins::method_noncontrastive
