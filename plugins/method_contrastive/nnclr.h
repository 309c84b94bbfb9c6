#pragma once
// NNCLR (Dwibedi et al., ICCV 2021): the positive of a view is the nearest neighbour, in a
// support queue of past projections, of the other view's projection. z = projector(backbone(x)),
// p = predictor(z); nn_a = the support-set row most cosine-similar to z_a; the loss is
// InfoNCE with nn as anchor and the other view's predictions of the global batch as keys
// (gathered with gradient), symmetrised: (ctr(nn1, p2) + ctr(nn2, p1)) / 2. The normalised z1
// of the global batch is enqueued after the loss. Paper: tau 0.1, queue 98304, projector
// 3 x L(2048)-BN with 256 output, predictor L(4096)-BN-ReLU-L(256).
// Until the queue has filled up only its filled rows are searched; on the very first step
// (empty queue) a view's own projection stands in for its neighbour.
#include <ATen/core/Tensor.h>

#include <memory>

#include "ssl/nn/head.h"
#include "ssl/nn/queue.h"
#include "ssl/nn/method_support.h"
#include "ssl/sdk/backbone.h"
#include "ssl/sdk/comm.h"
#include "ssl/sdk/config.h"
#include "ssl/sdk/context.h"
#include "ssl/sdk/method.h"
#include "ssl/sdk/schema.h"

namespace ssl::plugins::method_contrastive {

class NNCLR final : public nn::ProjectedMethod {
 public:
  NNCLR(const sdk::Config& cfg, const sdk::BuildContext& ctx);

  // views[0], views[1]: [N, C, H, W] -> loss; metrics loss, nn_sim (mean cos(z, nn(z))).
  sdk::StepOutput training_step(const sdk::Batch& batch, const sdk::StepInfo& info) override;

  // Nearest neighbours of z [N, D] among the filled support rows, normalised, no gradient.
  at::Tensor nearest_neighbours(const at::Tensor& z) const;
  const nn::KeyQueue& queue() const { return queue_; }

 private:
  nn::MLPHead predictor_{nullptr};
  nn::KeyQueue queue_{nullptr};
  double temperature_;
};

sdk::Schema nnclr_schema();
std::shared_ptr<sdk::Method> make_nnclr(const sdk::Config& cfg, const sdk::BuildContext& ctx);

}  // namespace ssl::plugins::method_contrastive
