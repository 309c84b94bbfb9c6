#pragma once
// SimSiam (Chen & He, CVPR 2021): one backbone + projector (3 layers with BN, last BN without
// affine) + bottleneck predictor L(2048 -> 512)-BN-ReLU-L(-> 2048); no target network: the
// target is sg(z) of the same network. Loss -1/2 cos(p1, sg(z2)) - 1/2 cos(p2, sg(z1)), in
// [-1, 1]. With stop_gradient = false the gradient flows through z too and the method
// collapses (loss -> -1, z_std -> 0; paper Fig. 2). The predictor is its own parameter group
// whose learning rate is not scheduled (paper Sec. 4.2: "fixed lr for the predictor").
#include <ATen/core/Tensor.h>

#include <memory>
#include <vector>

#include "ssl/nn/head.h"
#include "ssl/nn/method_support.h"
#include "ssl/sdk/backbone.h"
#include "ssl/sdk/config.h"
#include "ssl/sdk/context.h"
#include "ssl/sdk/method.h"
#include "ssl/sdk/schema.h"

namespace ssl::plugins::method_noncontrastive {

class SimSiam final : public nn::ProjectedMethod {
 public:
  SimSiam(const sdk::Config& cfg, const sdk::BuildContext& ctx);

  // views[0], views[1]: [N, C, H, W] -> loss; metrics loss, z_std (std of normalised z1 along
  // the batch, mean over dims: ~1/sqrt(proj_dim) healthy, 0 collapsed).
  sdk::StepOutput training_step(const sdk::Batch& batch, const sdk::StepInfo& info) override;
  // "encoder" (backbone + projector, scheduled) and "predictor" (fixed_lr = fixed_predictor_lr).
  std::vector<sdk::ParamGroup> parameter_groups() override;

 private:
  nn::MLPHead predictor_{nullptr};
  bool stop_gradient_;
  bool fixed_predictor_lr_;
};

sdk::Schema simsiam_schema();
std::shared_ptr<sdk::Method> make_simsiam(const sdk::Config& cfg, const sdk::BuildContext& ctx);

}  // namespace ssl::plugins::method_noncontrastive
