// Barlow Twins (Zbontar et al., ICML 2021): z = projector(backbone(x)); C = cross-correlation
// of the batch-normalised z1, z2 along the batch, summed over processes (nn::cross_correlation);
// loss = scale_loss * (sum_i (1 - C_ii)^2 + lambda sum_{i != j} C_ij^2), lambda 0.0051,
// scale_loss 0.1 (solo-learn CIFAR; 1 in the paper). Projector 3 x L(2048) with BN-ReLU
// between (solo-learn CIFAR; the paper uses 8192 on ImageNet).
#include <ATen/ATen.h>

#include "ssl/nn/losses.h"
#include "ssl/nn/method_support.h"
#include "ssl/sdk/registrar.h"

namespace ssl::plugins::method_noncontrastive {
namespace {

class BarlowTwins final : public nn::ProjectedMethod {
 public:
  BarlowTwins(const sdk::Config& cfg, const sdk::BuildContext& ctx)
      : nn::ProjectedMethod(cfg, ctx, "barlow_twins"), lambda_(cfg.get_float("lambda")),
        scale_loss_(cfg.get_float("scale_loss")) {}

  static sdk::Schema schema() {
    sdk::Schema s;
    // Solo-learn CIFAR: L(2048)-BN-ReLU-L(2048)-BN-ReLU-L(2048); paper ImageNet: 8192 wide.
    nn::add_head_keys(s, "proj", "projector", nn::HeadDefaults{2048, 2048, 3, true, false});
    s.add_float("lambda", 0.0051, "weight of the off-diagonal (redundancy) term (Barlow Twins: 0.0051)").min(0);
    s.add_float("scale_loss", 0.1, "multiplies the whole loss (solo-learn CIFAR: 0.1; paper: 1)").greater_than(0);
    return s;
  }

  // views[0], views[1]: [N, C, H, W] -> loss; metrics loss, on_diag, off_diag (unscaled sums).
  sdk::StepOutput training_step(const sdk::Batch& batch, const sdk::StepInfo&) override {
    const at::Tensor z1 = project(batch.views[0]);
    const at::Tensor z2 = project(batch.views[1]);
    const nn::BarlowTwinsTerms t = nn::barlow_twins_loss(z1, z2, lambda_, *comm_);
    sdk::StepOutput out;
    out.loss = scale_loss_ * t.loss;
    out.metrics = {{"loss", out.loss.detach()}, {"on_diag", t.on_diag.detach()}, {"off_diag", t.off_diag.detach()}};
    return out;
  }

 private:
  double lambda_;
  double scale_loss_;
};

}  // namespace

void register_barlow_twins(sdk::Registrar& r) {
  r.add_method<BarlowTwins>("barlow_twins", "Barlow Twins: cross-correlation of the two views driven to the identity");
}

}  // namespace ssl::plugins::method_noncontrastive
