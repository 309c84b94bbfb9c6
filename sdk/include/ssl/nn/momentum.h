#pragma once
// The one momentum (target / key) encoder of BYOL, MoCo v2 and MoCo v3: a second backbone
// (from BuildContext::make_backbone) and a copy of the online projector, initialised from the
// online networks, frozen (requires_grad = false, so no optimizer group holds them and no
// gradient reaches them) and updated only by ema_update with the cosine schedule:
//
//   tau(progress) = cosine_momentum(momentum, final_momentum, progress)
//   after every optimizer step: target = tau * target + (1 - tau) * online   (BN buffers copied)
//
// Submodules "backbone" and "projector", so a method registering it as "target" checkpoints
// it under target.backbone.* / target.projector.*.
#include <ATen/core/Tensor.h>
#include <torch/nn/module.h>
#include <torch/nn/pimpl.h>

#include <memory>
#include <string>

#include "ssl/nn/head.h"
#include "ssl/sdk/backbone.h"
#include "ssl/sdk/config.h"
#include "ssl/sdk/export.h"
#include "ssl/sdk/schema.h"

namespace ssl::nn {

// Adds "momentum" (base tau) and "final_momentum", both in [0, 1]; `source` cites the paper.
SSL_SDK_API void add_momentum_keys(sdk::Schema& schema, double base, double final_tau,
                                   const std::string& source);

class SSL_SDK_API MomentumEncoderImpl : public torch::nn::Module {
 public:
  // fresh_backbone: a new instance of the online backbone's architecture; it is overwritten
  // with the online weights. The projector copy is cloned from online_projector.
  MomentumEncoderImpl(std::shared_ptr<sdk::Backbone> fresh_backbone,
                      const sdk::Backbone& online_backbone, const MLPHead& online_projector,
                      double base_tau, double final_tau);
  // The "momentum" / "final_momentum" keys of add_momentum_keys.
  MomentumEncoderImpl(std::shared_ptr<sdk::Backbone> fresh_backbone,
                      const sdk::Backbone& online_backbone, const MLPHead& online_projector,
                      const sdk::Config& cfg);

  // images [N, C, H, W] -> projector(backbone(images)) [N, D], computed without autograd.
  at::Tensor forward(const at::Tensor& images);
  // The momentum for a training progress in [0, 1].
  double tau(double progress) const;
  // ema_update of both parts with tau(progress); returns the tau used.
  double update(const sdk::Backbone& online_backbone, const MLPHead& online_projector,
                double progress);

  const std::shared_ptr<sdk::Backbone>& backbone() const { return backbone_; }
  const MLPHead& projector() const { return projector_; }

 private:
  std::shared_ptr<sdk::Backbone> backbone_;
  MLPHead projector_{nullptr};
  double base_tau_, final_tau_;
};
TORCH_MODULE(MomentumEncoder);

}  // namespace ssl::nn
