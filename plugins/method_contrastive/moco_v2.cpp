// MoCo v2 (He et al., CVPR 2020; Chen et al., arXiv:2003.04297): a query encoder (backbone +
// projector) and a momentum key encoder (their copies, updated only by EMA), InfoNCE of each
// query against its key (positive) and a FIFO queue of K past keys (negatives), tau 0.2. Keys
// are gathered from every process without gradient and enqueued after the loss.
//
// Shuffle-BN on one process (`bn_splits` > 1): the key batch is permuted at random, cut into
// bn_splits chunks that go through the key encoder one at a time (so every BatchNorm in it —
// backbone and projector — normalises with the statistics of N / bn_splits samples, exactly as
// the paper's per-GPU shuffled sub-batches), and the keys are un-permuted. Chosen over a
// SplitBatchNorm module because the backbone is an arbitrary plugin (no access to its BN layers
// through the Backbone interface) and because the chunks give the same statistics bit for bit.
//
// Checkpointed state: submodules "target" (key encoder) and "queue" (buffers queue, ptr, count).
#include <ATen/ATen.h>
#include <ATen/core/grad_mode.h>

#include <vector>

#include "ssl/nn/contrastive_metrics.h"
#include "ssl/nn/losses.h"
#include "ssl/nn/method_support.h"
#include "ssl/nn/momentum.h"
#include "ssl/nn/queue.h"
#include "ssl/sdk/error.h"
#include "ssl/sdk/registrar.h"

namespace ssl::plugins::method_contrastive {
namespace {

class MoCoV2 final : public nn::ProjectedMethod {
 public:
  MoCoV2(const sdk::Config& cfg, const sdk::BuildContext& ctx)
      : nn::ProjectedMethod(cfg, ctx, "moco_v2"), temperature_(cfg.get_float("temperature")),
        bn_splits_(cfg.get_int("bn_splits")) {
    register_target(cfg, ctx);  // before the queue: the order of their seeded initialisation
    queue_ = register_module("queue", nn::KeyQueue(cfg.get_int("queue_size"), cfg.get_int("proj_dim")));
  }

  static sdk::Schema schema() {
    sdk::Schema s;
    // MoCo v2's MLP head: fc(2048)-ReLU-fc(128), no BN (Chen et al. 2020).
    nn::add_head_keys(s, "proj", "projector", nn::HeadDefaults{2048, 128, 2, false, false});
    s.add_float("temperature", 0.2, "InfoNCE temperature tau (MoCo v2: 0.2)").greater_than(0);
    s.add_int("queue_size", 4096,
              "K keys in the negative queue (CIFAR 4096..65536; keep K >= batch * world and scale "
              "it down with the dataset)")
        .min(1);
    nn::add_momentum_keys(s, 0.99, 0.999, "MoCo v2+ (solo-learn CIFAR): cosine 0.99 -> 0.999; MoCo v2: fixed 0.999");
    s.add_int("bn_splits", 1,
              "shuffle-BN on one process: the key encoder's BatchNorm statistics are computed per "
              "shuffled sub-batch of N / bn_splits (1 = off)")
        .range(1, 64);
    return s;
  }

  // views[0] -> queries, views[1] -> keys; loss = InfoNCE against [key, queue]; metrics
  // loss, momentum_tau, pos_sim (mean cos(q, k)), neg_sim (mean cos(q, queue)),
  // uniform_loss_ref = ln(1 + K). The step's gathered keys are enqueued after the loss.
  sdk::StepOutput training_step(const sdk::Batch& batch, const sdk::StepInfo& info) override {
    const at::Tensor q = project(batch.views[0]);                      // [N, D]
    const at::Tensor k_norm = nn::l2_normalize(keys(batch.views[1]));  // [N, D]
    // A snapshot: the enqueue below writes the buffer in place, and backward needs the negatives.
    const at::Tensor negatives = queue_->keys().clone();
    sdk::StepOutput out;
    out.loss = nn::info_nce_with_queue(q, k_norm, negatives, temperature_);
    {
      at::NoGradGuard no_grad;
      out.metrics = {{"loss", out.loss.detach()},
                     {"momentum_tau", at::scalar_tensor(target_->tau(info.progress()))},
                     {"pos_sim", nn::mean_cosine(q, k_norm)},
                     {"neg_sim", at::matmul(nn::l2_normalize(q.detach()), negatives.t()).mean()},
                     {sdk::metric::kUniformLossRef, nn::uniform_loss_ref(1 + negatives.size(0))}};
    }
    // After the loss (the queue read above holds only earlier steps' keys).
    queue_->enqueue(comm_->all_gather(k_norm));
    return out;
  }

  // EMA of the key encoder with the cosine momentum of info.progress().

 private:
  // Key encoder output [N, proj_dim] of images (split-BN when bn_splits > 1), no gradient.
  at::Tensor keys(const at::Tensor& images) {
    at::NoGradGuard no_grad;
    if (bn_splits_ <= 1) return target_->forward(images);
    const int64_t n = images.size(0);
    SSL_CHECK(n >= 2 * bn_splits_, "moco_v2: bn_splits = ", bn_splits_, " needs a batch of at least ", 2 * bn_splits_,
              " images (2 per split), got ", n);
    const at::Tensor perm = at::randperm(n, images.options().dtype(at::kLong));
    const at::Tensor shuffled = images.index_select(0, perm);
    std::vector<at::Tensor> parts;
    for (const at::Tensor& chunk : shuffled.chunk(bn_splits_, 0)) parts.push_back(target_->forward(chunk));
    // Row i of the concatenation is the key of image perm[i]; put it back at perm[i].
    const at::Tensor k_shuffled = at::cat(parts, 0);
    return at::empty_like(k_shuffled).index_copy_(0, perm, k_shuffled);
  }

  nn::KeyQueue queue_{nullptr};
  double temperature_;
  int64_t bn_splits_;
};

}  // namespace

void register_moco_v2(sdk::Registrar& r) {
  r.add_method<MoCoV2>("moco_v2",
                       "MoCo v2: momentum key encoder, FIFO queue of negatives, InfoNCE (optional split shuffle-BN)");
}

}  // namespace ssl::plugins::method_contrastive
