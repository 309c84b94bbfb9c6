#include "simclr.h"

#include <ATen/ATen.h>

#include "common.h"
#include "ssl/nn/losses.h"
#include "ssl/nn/method_support.h"
#include "ssl/sdk/error.h"

namespace ssl::plugins::method_contrastive {

SimCLR::SimCLR(const sdk::Config& cfg, const sdk::BuildContext& ctx)
    : nn::ProjectedMethod(cfg, ctx, "simclr"),
      temperature_(cfg.get_float("temperature")) {
  to(ctx.device);
}

sdk::StepOutput SimCLR::training_step(const sdk::Batch& batch, const sdk::StepInfo& info) {
  (void)info;
  SSL_CHECK(batch.views.size() >= 2, "simclr: expected 2 views, got ", batch.views.size());
  const at::Tensor z1 = project(batch.views[0]);
  const at::Tensor z2 = project(batch.views[1]);
  sdk::StepOutput out;
  out.loss = nn::nt_xent_loss(z1, z2, temperature_, *comm_);
  const PairSimilarity sim = pair_similarity(z1, z2);
  out.metrics = {{"pos_sim", sim.pos_sim},
                 {"neg_sim", sim.neg_sim},
                 {"uniform_loss_ref", uniform_loss_ref(2 * z1.size(0) * comm_->world_size() - 1)}};
  return out;
}

sdk::Schema simclr_schema() {
  sdk::Schema s;
  // solo-learn CIFAR: L(512 -> 2048)-ReLU-L(-> 256), no BN (METHODS.md).
  nn::add_head_keys(s, "proj", "projector", nn::HeadDefaults{2048, 256, 2, false, false});
  s.add_float("temperature", 0.2, "NT-Xent temperature tau (solo-learn CIFAR: 0.2; Chen et al. 2020: 0.5 at 224 px)")
      .greater_than(0);
  return s;
}

std::shared_ptr<sdk::Method> make_simclr(const sdk::Config& cfg, const sdk::BuildContext& ctx) {
  return std::make_shared<SimCLR>(cfg, ctx);
}

}  // namespace ssl::plugins::method_contrastive
