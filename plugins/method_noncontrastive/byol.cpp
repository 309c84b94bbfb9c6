// BYOL (Grill et al., NeurIPS 2020): online backbone + projector + predictor; target backbone +
// projector = EMA of the online ones only (nn::MomentumEncoder: requires_grad false, never in
// the optimizer), tau 0.99 -> 1.0 with the cosine schedule, updated after every step.
// Loss: byol_loss(p1, sg(z2')) + byol_loss(p2, sg(z1')), each mean 2 - 2 cos (so in [0, 8]).
// Projector and predictor L(4096)-BN-ReLU-L(256).
#include <ATen/ATen.h>

#include "ssl/nn/collapse_metrics.h"
#include "ssl/nn/losses.h"
#include "ssl/nn/method_support.h"
#include "ssl/nn/momentum.h"
#include "ssl/sdk/registrar.h"

namespace ssl::plugins::method_noncontrastive {
namespace {

class BYOL final : public nn::ProjectedMethod {
 public:
  BYOL(const sdk::Config& cfg, const sdk::BuildContext& ctx)
      : nn::ProjectedMethod(cfg, ctx, "byol"),
        predictor_(register_optional_predictor(cfg)) {
    register_target(cfg, ctx);
  }

  static sdk::Schema schema() {
    sdk::Schema s;
    // Grill et al. 2020: projector and predictor L(4096)-BN-ReLU-L(256).
    nn::add_head_keys(s, "proj", "projector", nn::HeadDefaults{4096, 256, 2, true, false});
    nn::add_head_keys(s, "pred", "predictor", nn::HeadDefaults{4096, 0, 2, true, false});
    nn::add_predictor_switch(s, "the online predictor; false regresses the target's projection with the online "
                                "projection itself (the ablation that collapses in the BYOL paper)");
    nn::add_momentum_keys(s, 0.99, 1.0,
                          "BYOL: 0.99 -> 1.0 cosine; 0.996 at batch 4096 on ImageNet; 0 makes the "
                          "target the online network itself, SimSiam with BYOL's heads");
    return s;
  }

  // views[0], views[1]: [N, C, H, W] -> loss; metrics loss, momentum_tau, z_std.
  sdk::StepOutput training_step(const sdk::Batch& batch, const sdk::StepInfo& info) override {
    const at::Tensor z1 = project(batch.views[0]);
    const at::Tensor z2 = project(batch.views[1]);
    const at::Tensor p1 = predict(predictor_, z1);
    const at::Tensor p2 = predict(predictor_, z2);
    const at::Tensor t1 = target_->forward(batch.views[0]);  // no gradient by construction
    const at::Tensor t2 = target_->forward(batch.views[1]);
    sdk::StepOutput out;
    out.loss = nn::byol_loss(p1, t2.detach()) + nn::byol_loss(p2, t1.detach());
    out.metrics = {{"loss", out.loss.detach()},
                   {"momentum_tau", at::scalar_tensor(target_->tau(info.progress()))},
                   {"z_std", nn::normalized_std_scalar(z1)}};
    return out;
  }

  // EMA of the target with the cosine momentum of info.progress().

 private:
  nn::MLPHead predictor_;  // null with predictor = false
};

}  // namespace

void register_byol(sdk::Registrar& r) {
  r.add_method<BYOL>("byol", "BYOL: online predictor regresses an EMA target's projection, 2 - 2 cos, symmetric");
}

}  // namespace ssl::plugins::method_noncontrastive
