// NNCLR (Dwibedi et al., ICCV 2021): the positive of a view is the nearest neighbour, in a
// support queue of past projections, of the other view's projection. z = projector(backbone(x)),
// p = predictor(z); nn_a = the support-set row most cosine-similar to z_a; the loss is
// InfoNCE with nn as anchor and the other view's predictions of the global batch as keys
// (gathered with gradient), symmetrised: (ctr(nn1, p2) + ctr(nn2, p1)) / 2. The normalised z1
// of the global batch is enqueued after the loss. Paper: tau 0.1, queue 98304, projector
// 3 x L(2048)-BN with 256 output, predictor L(4096)-BN-ReLU-L(256).
// Until the queue has filled up only its filled rows are searched; on the very first step
// (empty queue) a view's own projection stands in for its neighbour.
#include <ATen/ATen.h>
#include <ATen/core/grad_mode.h>

#include "ssl/nn/contrastive_metrics.h"
#include "ssl/nn/losses.h"
#include "ssl/nn/method_support.h"
#include "ssl/nn/queue.h"
#include "ssl/sdk/registrar.h"

namespace ssl::plugins::method_contrastive {
namespace {

class NNCLR final : public nn::ProjectedMethod {
 public:
  NNCLR(const sdk::Config& cfg, const sdk::BuildContext& ctx)
      : nn::ProjectedMethod(cfg, ctx, "nnclr"), predictor_(register_predictor(cfg)),
        queue_(register_module("queue", nn::KeyQueue(cfg.get_int("queue_size"), cfg.get_int("proj_dim")))),
        temperature_(cfg.get_float("temperature")) {}

  static sdk::Schema schema() {
    sdk::Schema s;
    // Dwibedi et al. 2021: projector 3 layers, 2048 hidden, 256 out, BN after every layer;
    // predictor L(4096)-BN-ReLU-L(256).
    nn::add_head_keys(s, "proj", "projector", nn::HeadDefaults{2048, 256, 3, true, true});
    nn::add_head_keys(s, "pred", "predictor", nn::HeadDefaults{4096, 0, 2, true, false});
    s.add_float("temperature", 0.1, "InfoNCE temperature tau (NNCLR: 0.1; solo-learn CIFAR: 0.2)").greater_than(0);
    s.add_int("queue_size", 98304,
              "support-set size (NNCLR ImageNet: 98304; solo-learn CIFAR: 65536; scale it with the "
              "dataset, it must stay >= batch * world)")
        .min(1);
    return s;
  }

  // views[0], views[1]: [N, C, H, W] -> loss; metrics loss, nn_sim (mean cos(z, nn(z))),
  // uniform_loss_ref.
  sdk::StepOutput training_step(const sdk::Batch& batch, const sdk::StepInfo&) override {
    const at::Tensor z1 = project(batch.views[0]);
    const at::Tensor z2 = project(batch.views[1]);
    const at::Tensor p1 = predictor_->forward(z1);
    const at::Tensor p2 = predictor_->forward(z2);
    const at::Tensor nn1 = nearest_neighbours(z1);
    const at::Tensor nn2 = nearest_neighbours(z2);
    sdk::StepOutput out;
    out.loss = 0.5 * (nn::info_nce(nn1, p2, temperature_, *comm_, nn::KeyGather::WithGrad) +
                      nn::info_nce(nn2, p1, temperature_, *comm_, nn::KeyGather::WithGrad));
    at::NoGradGuard no_grad;
    const at::Tensor z1n = nn::l2_normalize(z1.detach());
    out.metrics = {{"loss", out.loss.detach()},
                   {"nn_sim", nn::mean_cosine(z1n, nn1)},
                   {sdk::metric::kUniformLossRef, nn::uniform_loss_ref(z1.size(0) * comm_->world_size())}};
    queue_->enqueue(comm_->all_gather(z1n));  // after the loss
    return out;
  }

 private:
  // Nearest neighbours of z [N, D] among the filled support rows, normalised, no gradient.
  at::Tensor nearest_neighbours(const at::Tensor& z) const {
    at::NoGradGuard no_grad;
    const at::Tensor zn = nn::l2_normalize(z.detach());
    const int64_t filled = queue_->filled();
    if (filled == 0) return zn;
    const at::Tensor support = queue_->keys().narrow(0, 0, filled);  // rows [0, filled) are real
    const at::Tensor idx = at::matmul(zn, support.t()).argmax(1);    // [N]
    return support.index_select(0, idx);
  }

  nn::MLPHead predictor_;
  nn::KeyQueue queue_;
  double temperature_;
};

}  // namespace

void register_nnclr(sdk::Registrar& r) {
  r.add_method<NNCLR>("nnclr",
                      "NNCLR: nearest neighbour in a support queue as the positive, predictor, symmetric InfoNCE");
}

}  // namespace ssl::plugins::method_contrastive
