#pragma once
// DirectCLR (Jing, Vincent, LeCun, Tian, ICLR 2022, "Understanding Dimensional Collapse in
// Contrastive Self-supervised Learning"): no projector; the NT-Xent (InfoNCE) loss, tau 0.1,
// is applied directly to the first d0 dimensions of the backbone representation r = f(x),
// which keeps the representation from collapsing dimensionally. The paper uses d0 = 360 of
// ResNet-50's 2048; the default 90 scales it to 512-d backbones (360 / 2048 * 512 = 90).
// embed() returns the full representation.
#include <ATen/core/Tensor.h>

#include <cstdint>
#include <memory>

#include "ssl/sdk/backbone.h"
#include "ssl/sdk/comm.h"
#include "ssl/sdk/config.h"
#include "ssl/sdk/context.h"
#include "ssl/sdk/method.h"
#include "ssl/sdk/schema.h"

namespace ssl::plugins::method_contrastive {

class DirectCLR final : public sdk::Method {
 public:
  DirectCLR(const sdk::Config& cfg, const sdk::BuildContext& ctx);

  // views[0], views[1]: [N, C, H, W] -> NT-Xent on r[:, :d0]; metrics loss, pos_sim, neg_sim.
  sdk::StepOutput training_step(const sdk::Batch& batch, const sdk::StepInfo& info) override;
  std::shared_ptr<sdk::Backbone> backbone() const override { return backbone_; }
  // images [N, C, H, W] -> full backbone representation [N, F].
  at::Tensor embed(const at::Tensor& images) override;

 private:
  std::shared_ptr<sdk::Backbone> backbone_;
  std::shared_ptr<sdk::Comm> comm_;
  double temperature_;
  int64_t d0_;
};

sdk::Schema directclr_schema();
std::shared_ptr<sdk::Method> make_directclr(const sdk::Config& cfg, const sdk::BuildContext& ctx);

}  // namespace ssl::plugins::method_contrastive
