#include "ssl/nn/ema.h"

#include <ATen/ATen.h>
#include <ATen/core/grad_mode.h>

#include <algorithm>
#include <cmath>

#include "ssl/sdk/error.h"

namespace ssl::nn {

namespace {

// Calls fn(target_tensor, online_tensor) for every pair of tensors with equal names.
template <class Fn>
void zip_tensors(const char* what, const torch::OrderedDict<std::string, at::Tensor>& target,
                 const torch::OrderedDict<std::string, at::Tensor>& online, Fn fn) {
  SSL_CHECK(target.size() == online.size(), what, ": target has ", target.size(),
            " tensors, online has ", online.size());
  for (size_t i = 0; i < target.size(); ++i) {
    const auto& t = target[i];
    const auto& o = online[i];
    SSL_CHECK(t.key() == o.key(), what, ": tensor ", i, " is '", t.key(), "' in the target but '",
              o.key(), "' in the online network");
    SSL_CHECK(t.value().sizes() == o.value().sizes(), what, ": '", t.key(), "' has shape ",
              t.value().sizes(), " in the target but ", o.value().sizes(), " online");
    fn(t.value(), o.value());
  }
}

}  // namespace

void ema_update(torch::nn::Module& target, const torch::nn::Module& online, double tau) {
  SSL_CHECK(tau >= 0 && tau <= 1, "ema_update: tau must be in [0, 1], got ", tau);
  at::NoGradGuard no_grad;
  zip_tensors("ema_update", target.named_parameters(), online.named_parameters(),
              [tau](at::Tensor t, const at::Tensor& o) { t.mul_(tau).add_(o, 1.0 - tau); });
  zip_tensors("ema_update", target.named_buffers(), online.named_buffers(),
              [](at::Tensor t, const at::Tensor& o) { t.copy_(o); });
}

void copy_weights(torch::nn::Module& target, const torch::nn::Module& online) {
  at::NoGradGuard no_grad;
  zip_tensors("copy_weights", target.named_parameters(), online.named_parameters(),
              [](at::Tensor t, const at::Tensor& o) { t.copy_(o); });
  zip_tensors("copy_weights", target.named_buffers(), online.named_buffers(),
              [](at::Tensor t, const at::Tensor& o) { t.copy_(o); });
}

void freeze(torch::nn::Module& module) {
  for (auto& p : module.parameters()) p.set_requires_grad(false);
}

double cosine_momentum(double base_tau, double final_tau, double progress) {
  const double p = std::clamp(progress, 0.0, 1.0);
  constexpr double kPi = 3.14159265358979323846;
  return final_tau - (final_tau - base_tau) * (std::cos(kPi * p) + 1.0) / 2.0;
}

}  // namespace ssl::nn
