#include "ssl/nn/momentum.h"

#include <ATen/core/grad_mode.h>

#include "ssl/nn/ema.h"
#include "ssl/sdk/error.h"

namespace ssl::nn {

void add_momentum_keys(sdk::Schema& s, double base, double final_tau, const std::string& source) {
  s.add_float("momentum", base,
              "EMA momentum tau of the target network at the start of training (" + source + ")")
      .range(0, 1);
  s.add_float("final_momentum", final_tau,
              "tau at the end of training; cosine schedule from momentum, applied every step")
      .range(0, 1);
}

MomentumEncoderImpl::MomentumEncoderImpl(std::shared_ptr<sdk::Backbone> fresh_backbone,
                                         const sdk::Backbone& online_backbone,
                                         const MLPHead& online_projector, double base_tau,
                                         double final_tau)
    : base_tau_(base_tau), final_tau_(final_tau) {
  SSL_CHECK(fresh_backbone != nullptr, "MomentumEncoder: null backbone");
  SSL_CHECK(online_projector, "MomentumEncoder: null online projector");
  SSL_CHECK(base_tau >= 0 && base_tau <= 1 && final_tau >= 0 && final_tau <= 1,
            "MomentumEncoder: momentum and final_momentum must be in [0, 1], got ", base_tau,
            " and ", final_tau);
  backbone_ = register_module("backbone", std::move(fresh_backbone));
  auto copy = std::dynamic_pointer_cast<MLPHeadImpl>(online_projector->clone());
  SSL_CHECK(copy != nullptr, "MomentumEncoder: cloning the projector failed");
  projector_ = register_module("projector", MLPHead(copy));
  copy_weights(*backbone_, online_backbone);
  copy_weights(*projector_, *online_projector);
  freeze(*this);
}

MomentumEncoderImpl::MomentumEncoderImpl(std::shared_ptr<sdk::Backbone> fresh_backbone,
                                         const sdk::Backbone& online_backbone,
                                         const MLPHead& online_projector, const sdk::Config& cfg)
    : MomentumEncoderImpl(std::move(fresh_backbone), online_backbone, online_projector,
                          cfg.get_float("momentum"), cfg.get_float("final_momentum")) {}

at::Tensor MomentumEncoderImpl::forward(const at::Tensor& images) {
  at::NoGradGuard no_grad;
  return projector_->forward(backbone_->forward(images));
}

double MomentumEncoderImpl::tau(double progress) const {
  return cosine_momentum(base_tau_, final_tau_, progress);
}

double MomentumEncoderImpl::update(const sdk::Backbone& online_backbone,
                                   const MLPHead& online_projector, double progress) {
  const double t = tau(progress);
  ema_update(*backbone_, online_backbone, t);
  ema_update(*projector_, *online_projector, t);
  return t;
}

}  // namespace ssl::nn
