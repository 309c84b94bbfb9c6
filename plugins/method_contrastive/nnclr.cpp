#include "nnclr.h"

#include <ATen/ATen.h>
#include <torch/csrc/autograd/grad_mode.h>

#include "common.h"
#include "ssl/nn/losses.h"
#include "ssl/nn/method_support.h"
#include "ssl/sdk/error.h"

namespace ssl::plugins::method_contrastive {

NNCLR::NNCLR(const sdk::Config& cfg, const sdk::BuildContext& ctx)
    : nn::ProjectedMethod(cfg, ctx, "nnclr"),
      temperature_(cfg.get_float("temperature")) {
  const int64_t dim = cfg.get_int("proj_dim");
  predictor_ = register_module("predictor", nn::make_head(cfg, "pred", dim, dim));
  queue_ = register_module("queue", nn::KeyQueue(cfg.get_int("queue_size"), dim));
  to(ctx.device);
}

at::Tensor NNCLR::nearest_neighbours(const at::Tensor& z) const {
  torch::NoGradGuard no_grad;
  const at::Tensor zn = nn::l2_normalize(z.detach());
  const int64_t filled = queue_->filled();
  if (filled == 0) return zn;
  const at::Tensor support = queue_->keys().narrow(0, 0, filled);  // rows [0, filled) are real
  const at::Tensor idx = at::matmul(zn, support.t()).argmax(1);    // [N]
  return support.index_select(0, idx);
}

sdk::StepOutput NNCLR::training_step(const sdk::Batch& batch, const sdk::StepInfo& info) {
  (void)info;
  SSL_CHECK(batch.views.size() >= 2, "nnclr: expected 2 views, got ", batch.views.size());
  const at::Tensor z1 = project(batch.views[0]);
  const at::Tensor z2 = project(batch.views[1]);
  const at::Tensor p1 = predictor_->forward(z1);
  const at::Tensor p2 = predictor_->forward(z2);
  const at::Tensor nn1 = nearest_neighbours(z1);
  const at::Tensor nn2 = nearest_neighbours(z2);
  sdk::StepOutput out;
  out.loss = 0.5 * (nn::info_nce(nn1, p2, temperature_, *comm_, nn::KeyGather::WithGrad) +
                    nn::info_nce(nn2, p1, temperature_, *comm_, nn::KeyGather::WithGrad));
  torch::NoGradGuard no_grad;
  const at::Tensor z1n = nn::l2_normalize(z1.detach());
  out.metrics = {{"loss", out.loss.detach()},
                 {"nn_sim", nn::mean_cosine(z1n, nn1)},
                 {"uniform_loss_ref", uniform_loss_ref(z1.size(0) * comm_->world_size())}};
  queue_->enqueue(comm_->all_gather(z1n));  // after the loss
  return out;
}

sdk::Schema nnclr_schema() {
  sdk::Schema s;
  // Dwibedi et al. 2021: projector 3 layers, 2048 hidden, 256 out, BN after every layer;
  // predictor L(4096)-BN-ReLU-L(256).
  nn::add_head_keys(s, "proj", "projector", nn::HeadDefaults{2048, 256, 3, true, true});
  nn::add_head_keys(s, "pred", "predictor", nn::HeadDefaults{4096, 0, 2, true, false});
  s.add_float("temperature", 0.1, "InfoNCE temperature tau (NNCLR: 0.1; solo-learn CIFAR: 0.2)")
      .greater_than(0);
  s.add_int("queue_size", 98304,
            "support-set size (NNCLR ImageNet: 98304; solo-learn CIFAR: 65536; scale it with the "
            "dataset, it must stay >= batch * world)")
      .min(1);
  return s;
}

std::shared_ptr<sdk::Method> make_nnclr(const sdk::Config& cfg, const sdk::BuildContext& ctx) {
  return std::make_shared<NNCLR>(cfg, ctx);
}

}  // namespace ssl::plugins::method_contrastive
