#pragma once
// The one EMA / momentum-encoder helper (BYOL, MoCo, DINO targets).
//
//   target = make_backbone(); copy_weights(*target, *online); freeze(*target);
//   ... after each optimizer step:
//   ema_update(*target, *online, cosine_momentum(0.99, 1.0, info.progress()));
#include <torch/nn/module.h>

#include "ssl/sdk/export.h"

namespace ssl::nn {

// Every parameter: target = tau * target + (1 - tau) * online; every buffer (BN running
// statistics) is copied from online. Runs under NoGradGuard. Both modules must have the same
// parameter and buffer names and shapes; the error names the first that differs.
SSL_SDK_API void ema_update(torch::nn::Module& target, const torch::nn::Module& online, double tau);

// Copies every parameter and buffer of online into target (same names and shapes required).
SSL_SDK_API void copy_weights(torch::nn::Module& target, const torch::nn::Module& online);

// Sets requires_grad = false on every parameter, so the default parameter groups skip them and
// no gradient reaches the target network.
SSL_SDK_API void freeze(torch::nn::Module& module);

// Cosine momentum schedule of BYOL (Grill et al. 2020), also used for MoCo v2+/v3:
// final - (final - base) * (cos(pi * progress) + 1) / 2; progress clamped to [0, 1], so it
// returns base_tau at 0 and final_tau at 1 (BYOL: 0.99 -> 1.0; MoCo: 0.99 -> 0.999).
SSL_SDK_API double cosine_momentum(double base_tau, double final_tau, double progress);

}  // namespace ssl::nn
