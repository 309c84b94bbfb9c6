// SimCLR (Chen et al. 2020): two views through one backbone and projector, NT-Xent over the
// 2N embeddings of the global batch (negatives gathered across processes with gradient).
// Defaults are solo-learn's CIFAR ones: projector L(F -> 2048)-ReLU-L(-> 256), temperature 0.2.
#include <ATen/ATen.h>

#include "ssl/nn/contrastive_metrics.h"
#include "ssl/nn/losses.h"
#include "ssl/nn/method_support.h"
#include "ssl/sdk/registrar.h"

namespace ssl::plugins::method_contrastive {
namespace {

class SimCLR final : public nn::ProjectedMethod {
 public:
  SimCLR(const sdk::Config& cfg, const sdk::BuildContext& ctx)
      : nn::ProjectedMethod(cfg, ctx, "simclr"), temperature_(cfg.get_float("temperature")) {}

  static sdk::Schema schema() {
    sdk::Schema s;
    // solo-learn CIFAR: L(512 -> 2048)-ReLU-L(-> 256), no BN.
    nn::add_head_keys(s, "proj", "projector", nn::HeadDefaults{2048, 256, 2, false, false});
    s.add_float("temperature", 0.2, "NT-Xent temperature tau (solo-learn CIFAR: 0.2; Chen et al. 2020: 0.5 at 224 px)")
        .greater_than(0);
    return s;
  }

  // views[0], views[1]: [N, C, H, W] -> loss (scalar); metrics pos_sim, neg_sim and
  // uniform_loss_ref = ln(2NW - 1), the loss of a collapsed embedding.
  sdk::StepOutput training_step(const sdk::Batch& batch, const sdk::StepInfo&) override {
    const at::Tensor z1 = project(batch.views[0]);
    const at::Tensor z2 = project(batch.views[1]);
    sdk::StepOutput out;
    out.loss = nn::nt_xent_loss(z1, z2, temperature_, *comm_);
    const nn::PairSimilarity sim = nn::pair_similarity(z1, z2);
    out.metrics = {{"pos_sim", sim.pos_sim},
                   {"neg_sim", sim.neg_sim},
                   {sdk::metric::kUniformLossRef, nn::uniform_loss_ref(2 * z1.size(0) * comm_->world_size() - 1)}};
    return out;
  }

 private:
  double temperature_;
};

}  // namespace

void register_simclr(sdk::Registrar& r) {
  r.add_method<SimCLR>("simclr", "SimCLR: NT-Xent over the 2N projected views, negatives from the global batch");
}

}  // namespace ssl::plugins::method_contrastive
