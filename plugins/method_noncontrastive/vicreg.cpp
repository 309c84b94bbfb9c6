// VICReg (Bardes, Ponce, LeCun, ICLR 2022): z = projector(backbone(x));
// loss = 25 * MSE(z1, z2) + 25 * variance hinge + 1 * covariance (nn::vicreg_loss), the
// variance and covariance statistics over the global batch (gathered with gradient).
// Projector 3 x L(2048) with BN-ReLU between (solo-learn CIFAR; paper ImageNet: 8192).
#include <ATen/ATen.h>

#include "ssl/nn/losses.h"
#include "ssl/nn/method_support.h"
#include "ssl/sdk/registrar.h"

namespace ssl::plugins::method_noncontrastive {
namespace {

class VICReg final : public nn::ProjectedMethod {
 public:
  VICReg(const sdk::Config& cfg, const sdk::BuildContext& ctx)
      : nn::ProjectedMethod(cfg, ctx, "vicreg"), sim_weight_(cfg.get_float("sim_weight")),
        var_weight_(cfg.get_float("var_weight")), cov_weight_(cfg.get_float("cov_weight")) {}

  static sdk::Schema schema() {
    sdk::Schema s;
    // Solo-learn CIFAR: 3 x L(2048) with BN-ReLU between; paper ImageNet: 8192.
    nn::add_head_keys(s, "proj", "projector", nn::HeadDefaults{2048, 2048, 3, true, false});
    s.add_float("sim_weight", 25.0, "weight of the invariance (MSE) term (VICReg: 25)").min(0);
    s.add_float("var_weight", 25.0, "weight of the variance hinge (VICReg: 25)").min(0);
    s.add_float("cov_weight", 1.0, "weight of the covariance term (VICReg: 1)").min(0);
    return s;
  }

  // views[0], views[1]: [N, C, H, W] -> loss; metrics loss, invariance, variance, covariance
  // (unweighted terms).
  sdk::StepOutput training_step(const sdk::Batch& batch, const sdk::StepInfo&) override {
    const at::Tensor z1 = project(batch.views[0]);
    const at::Tensor z2 = project(batch.views[1]);
    const nn::VICRegTerms t = nn::vicreg_loss(z1, z2, sim_weight_, var_weight_, cov_weight_, *comm_);
    sdk::StepOutput out;
    out.loss = t.loss;
    out.metrics = {{"loss", t.loss.detach()},
                   {"invariance", t.invariance.detach()},
                   {"variance", t.variance.detach()},
                   {"covariance", t.covariance.detach()}};
    return out;
  }

 private:
  double sim_weight_, var_weight_, cov_weight_;
};

}  // namespace

void register_vicreg(sdk::Registrar& r) {
  r.add_method<VICReg>("vicreg", "VICReg: invariance + variance hinge + covariance penalty over the global batch");
}

}  // namespace ssl::plugins::method_noncontrastive
