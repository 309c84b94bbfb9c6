#pragma once
// The one projection / prediction head builder shared by every method.
//
// MLPHead maps [N, in_dim] -> [N, out_dim] through num_layers Linear layers:
//
//   Linear(in, hidden) [-BN] -ReLU  ... (num_layers - 1 times) ...  Linear(hidden, out) [-BN]
//
// Bias rule: a Linear followed by a BatchNorm has no bias (the BN shift makes it redundant).
// Shapes used by the methods (the papers' settings, solo-learn's for CIFAR-sized inputs):
//   SimCLR (solo-learn CIFAR):  MLPHeadOptions(512, 2048, 256).batch_norm(false)
//   BYOL projector/predictor:   MLPHeadOptions(512, 4096, 256)              (L-BN-ReLU-L)
//   SimSiam projector:          MLPHeadOptions(512, 2048, 2048).num_layers(3)
//                                   .last_batch_norm(true).last_bn_affine(false)
//   SimSiam predictor:          MLPHeadOptions(2048, 512, 2048)             (bottleneck)
//   MoCo v3 projector:          like SimSiam's (BN everywhere, last BN without affine).
// Parameters are named "layers.<i>.weight" etc. (a Sequential), loadable from PyTorch heads
// built as nn.Sequential in the same order.
#include <torch/arg.h>
#include <torch/nn/cloneable.h>
#include <torch/nn/modules/container/sequential.h>
#include <torch/nn/pimpl.h>

#include <cstdint>

#include "ssl/sdk/export.h"

namespace ssl::nn {

struct SSL_SDK_API MLPHeadOptions {
  MLPHeadOptions(int64_t in_dim, int64_t hidden_dim, int64_t out_dim)
      : in_dim_(in_dim), hidden_dim_(hidden_dim), out_dim_(out_dim) {}
  TORCH_ARG(int64_t, in_dim);
  TORCH_ARG(int64_t, hidden_dim);
  TORCH_ARG(int64_t, out_dim);
  // Number of Linear layers (>= 1); 1 is a plain linear map.
  TORCH_ARG(int64_t, num_layers) = 2;
  // BatchNorm1d after every hidden Linear.
  TORCH_ARG(bool, batch_norm) = true;
  // BatchNorm1d after the last Linear (SimSiam, MoCo v3 projectors).
  TORCH_ARG(bool, last_batch_norm) = false;
  // Whether that last BN has a learnable scale and shift (SimSiam: false).
  TORCH_ARG(bool, last_bn_affine) = true;
};

class SSL_SDK_API MLPHeadImpl : public torch::nn::Cloneable<MLPHeadImpl> {
 public:
  explicit MLPHeadImpl(MLPHeadOptions options);
  MLPHeadImpl(int64_t in_dim, int64_t hidden_dim, int64_t out_dim)
      : MLPHeadImpl(MLPHeadOptions(in_dim, hidden_dim, out_dim)) {}

  // x: [N, in_dim] -> [N, out_dim].
  at::Tensor forward(const at::Tensor& x);
  void reset() override;
  void pretty_print(std::ostream& stream) const override;

  const MLPHeadOptions& options() const { return options_; }
  torch::nn::Sequential layers{nullptr};

 private:
  MLPHeadOptions options_;
};
TORCH_MODULE(MLPHead);

}  // namespace ssl::nn
