#pragma once
// SimCLR (Chen et al. 2020): two views through one backbone and projector, NT-Xent over the
// 2N embeddings of the global batch (negatives gathered across processes with gradient).
// Defaults are solo-learn's CIFAR ones: projector L(F -> 2048)-ReLU-L(-> 256), temperature 0.2.
#include <ATen/core/Tensor.h>

#include <memory>

#include "ssl/nn/head.h"
#include "ssl/nn/method_support.h"
#include "ssl/sdk/backbone.h"
#include "ssl/sdk/comm.h"
#include "ssl/sdk/config.h"
#include "ssl/sdk/context.h"
#include "ssl/sdk/method.h"
#include "ssl/sdk/schema.h"

namespace ssl::plugins::method_contrastive {

class SimCLR final : public nn::ProjectedMethod {
 public:
  SimCLR(const sdk::Config& cfg, const sdk::BuildContext& ctx);

  // views[0], views[1]: [N, C, H, W] -> loss (scalar) + metrics pos_sim, neg_sim.
  sdk::StepOutput training_step(const sdk::Batch& batch, const sdk::StepInfo& info) override;

 private:
  double temperature_;
};

sdk::Schema simclr_schema();
std::shared_ptr<sdk::Method> make_simclr(const sdk::Config& cfg, const sdk::BuildContext& ctx);

}  // namespace ssl::plugins::method_contrastive
