#pragma once
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
#include <ATen/core/Tensor.h>

#include <memory>

#include "ssl/nn/head.h"
#include "ssl/nn/momentum.h"
#include "ssl/nn/queue.h"
#include "ssl/nn/method_support.h"
#include "ssl/sdk/backbone.h"
#include "ssl/sdk/comm.h"
#include "ssl/sdk/config.h"
#include "ssl/sdk/context.h"
#include "ssl/sdk/method.h"
#include "ssl/sdk/schema.h"

namespace ssl::plugins::method_contrastive {

class MoCoV2 final : public nn::ProjectedMethod {
 public:
  MoCoV2(const sdk::Config& cfg, const sdk::BuildContext& ctx);

  // views[0] -> queries, views[1] -> keys; loss = InfoNCE against [key, queue]; metrics
  // loss, momentum_tau, pos_logit (mean cos(q, k)), neg_logit (mean cos(q, queue)).
  // The step's gathered keys are enqueued at the end of the step (after the loss).
  sdk::StepOutput training_step(const sdk::Batch& batch, const sdk::StepInfo& info) override;
  // EMA of the key encoder with the cosine momentum of info.progress().
  void after_step(const sdk::StepInfo& info) override;

  // Key encoder output [N, proj_dim] of images (split-BN when bn_splits > 1), no gradient.
  at::Tensor keys(const at::Tensor& images);
  const nn::KeyQueue& queue() const { return queue_; }

 private:
  nn::MomentumEncoder target_{nullptr};
  nn::KeyQueue queue_{nullptr};
  double temperature_;
  int64_t bn_splits_;
};

sdk::Schema moco_v2_schema();
std::shared_ptr<sdk::Method> make_moco_v2(const sdk::Config& cfg, const sdk::BuildContext& ctx);

}  // namespace ssl::plugins::method_contrastive
