#include "barlow_twins.h"

#include <ATen/ATen.h>

#include "ssl/nn/losses.h"
#include "ssl/nn/method_support.h"
#include "ssl/sdk/error.h"

namespace ssl::plugins::method_noncontrastive {

BarlowTwins::BarlowTwins(const sdk::Config& cfg, const sdk::BuildContext& ctx)
    : nn::ProjectedMethod(cfg, ctx, "barlow_twins"),
      lambda_(cfg.get_float("lambda")), scale_loss_(cfg.get_float("scale_loss")) {
  to(ctx.device);
}

sdk::StepOutput BarlowTwins::training_step(const sdk::Batch& batch, const sdk::StepInfo& info) {
  (void)info;
  SSL_CHECK(batch.views.size() >= 2, "barlow_twins: expected 2 views, got ", batch.views.size());
  const at::Tensor z1 = project(batch.views[0]);
  const at::Tensor z2 = project(batch.views[1]);
  const nn::BarlowTwinsTerms t = nn::barlow_twins_loss(z1, z2, lambda_, *comm_);
  sdk::StepOutput out;
  out.loss = scale_loss_ * t.loss;
  out.metrics = {{"loss", out.loss.detach()},
                 {"on_diag", t.on_diag.detach()},
                 {"off_diag", t.off_diag.detach()}};
  return out;
}

sdk::Schema barlow_twins_schema() {
  sdk::Schema s;
  // Solo-learn CIFAR: L(2048)-BN-ReLU-L(2048)-BN-ReLU-L(2048); paper ImageNet: 8192 wide.
  nn::add_head_keys(s, "proj", "projector", nn::HeadDefaults{2048, 2048, 3, true, false});
  s.add_float("lambda", 0.0051, "weight of the off-diagonal (redundancy) term (Barlow Twins: 0.0051)")
      .min(0);
  s.add_float("scale_loss", 0.1, "multiplies the whole loss (solo-learn CIFAR: 0.1; paper: 1)")
      .greater_than(0);
  return s;
}

std::shared_ptr<sdk::Method> make_barlow_twins(const sdk::Config& cfg,
                                               const sdk::BuildContext& ctx) {
  return std::make_shared<BarlowTwins>(cfg, ctx);
}

}  // namespace ssl::plugins::method_noncontrastive
