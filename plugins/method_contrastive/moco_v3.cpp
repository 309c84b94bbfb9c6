// MoCo v3 (Chen, Xie, He, ICCV 2021): no queue; query = predictor(projector(backbone(x))),
// key = momentum encoder (EMA copies of backbone + projector). For each view pair,
// CE(q k^T / tau) with the in-batch keys of the global batch as negatives (gathered without
// gradient), scaled by 2 tau, symmetrised: loss = ctr(q1, k2) + ctr(q2, k1). tau 0.2
// (solo-learn CIFAR). Projector 3 layers with BN and a last BN without affine, predictor
// 2 layers with BN (paper, Sec. 4 / official code).
#include <ATen/ATen.h>

#include "ssl/nn/contrastive_metrics.h"
#include "ssl/nn/losses.h"
#include "ssl/nn/method_support.h"
#include "ssl/nn/momentum.h"
#include "ssl/sdk/registrar.h"

namespace ssl::plugins::method_contrastive {
namespace {

class MoCoV3 final : public nn::ProjectedMethod {
 public:
  MoCoV3(const sdk::Config& cfg, const sdk::BuildContext& ctx)
      : nn::ProjectedMethod(cfg, ctx, "moco_v3"), predictor_(register_predictor(cfg)),
        temperature_(cfg.get_float("temperature")) {
    register_target(cfg, ctx);
  }

  static sdk::Schema schema() {
    sdk::Schema s;
    // Chen et al. 2021 / solo-learn CIFAR: projector L(4096)-BN-ReLU-L(4096)-BN-ReLU-L(256)-BN
    // (no affine), predictor L(4096)-BN-ReLU-L(256).
    nn::add_head_keys(s, "proj", "projector", nn::HeadDefaults{4096, 256, 3, true, true});
    nn::add_head_keys(s, "pred", "predictor", nn::HeadDefaults{4096, 0, 2, true, false});
    s.add_float("temperature", 0.2, "InfoNCE temperature tau (solo-learn CIFAR: 0.2; paper ImageNet ResNet: 1.0)")
        .greater_than(0);
    nn::add_momentum_keys(s, 0.99, 1.0, "MoCo v3: 0.99 -> 1.0 cosine");
    return s;
  }

  // views[0], views[1]: [N, C, H, W] -> loss; metrics loss, momentum_tau, pos_sim,
  // uniform_loss_ref.
  sdk::StepOutput training_step(const sdk::Batch& batch, const sdk::StepInfo& info) override {
    const at::Tensor q1 = predictor_->forward(project(batch.views[0]));
    const at::Tensor q2 = predictor_->forward(project(batch.views[1]));
    const at::Tensor k1 = target_->forward(batch.views[0]);
    const at::Tensor k2 = target_->forward(batch.views[1]);
    const double scale = 2.0 * temperature_;
    sdk::StepOutput out;
    out.loss = scale * (nn::info_nce(q1, k2, temperature_, *comm_) + nn::info_nce(q2, k1, temperature_, *comm_));
    out.metrics = {
        {"loss", out.loss.detach()},
        {"momentum_tau", at::scalar_tensor(target_->tau(info.progress()))},
        {"pos_sim", 0.5 * (nn::mean_cosine(q1, k2) + nn::mean_cosine(q2, k1))},
        // two InfoNCE terms over N * W keys each, scaled by 2 * tau
        {sdk::metric::kUniformLossRef, 2.0 * scale * nn::uniform_loss_ref(q1.size(0) * comm_->world_size())}};
    return out;
  }

 private:
  nn::MLPHead predictor_;
  double temperature_;
};

}  // namespace

void register_moco_v3(sdk::Registrar& r) {
  r.add_method<MoCoV3>(
      "moco_v3",
      "MoCo v3: predictor on the query side, in-batch keys from the momentum encoder, symmetric 2-tau-scaled InfoNCE");
}

}  // namespace ssl::plugins::method_contrastive
