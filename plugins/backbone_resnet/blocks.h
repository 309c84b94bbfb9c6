#pragma once
// ResNet residual blocks (He et al. 2016), named exactly as torchvision's BasicBlock and
// Bottleneck (conv1, bn1, conv2, bn2[, conv3, bn3], downsample.0 (1x1 conv), downsample.1 (BN)),
// so a state dict exported from them loads into torchvision. Stride sits on the 3x3 conv
// (torchvision's "ResNet v1.5"). Inputs [N, C, H, W] in any memory format (channels-last ok).
#include <ATen/core/Tensor.h>
#include <torch/nn/module.h>
#include <torch/nn/modules/container/sequential.h>
#include <torch/nn/modules/conv.h>
#include <torch/nn/pimpl.h>

#include <cstdint>

#include "ssl/nn/batch_norm.h"

namespace ssl::plugins::backbone_resnet {

// Two 3x3 convolutions; out channels = planes (expansion 1).
class BasicBlockImpl : public torch::nn::Module {
 public:
  static constexpr int64_t kExpansion = 1;
  BasicBlockImpl(int64_t in_planes, int64_t planes, int64_t stride, bool zero_init_residual);
  // [N, in_planes, H, W] -> [N, planes, H / stride, W / stride]
  at::Tensor forward(const at::Tensor& x);

 private:
  torch::nn::Conv2d conv1_{nullptr}, conv2_{nullptr};
  ssl::nn::SyncBatchNorm2d bn1_{nullptr}, bn2_{nullptr};
  torch::nn::Sequential downsample_{nullptr};
};
TORCH_MODULE(BasicBlock);

// 1x1 reduce, 3x3 (strided), 1x1 expand; out channels = 4 * planes.
class BottleneckImpl : public torch::nn::Module {
 public:
  static constexpr int64_t kExpansion = 4;
  BottleneckImpl(int64_t in_planes, int64_t planes, int64_t stride, bool zero_init_residual);
  // [N, in_planes, H, W] -> [N, 4 * planes, H / stride, W / stride]
  at::Tensor forward(const at::Tensor& x);

 private:
  torch::nn::Conv2d conv1_{nullptr}, conv2_{nullptr}, conv3_{nullptr};
  ssl::nn::SyncBatchNorm2d bn1_{nullptr}, bn2_{nullptr}, bn3_{nullptr};
  torch::nn::Sequential downsample_{nullptr};
};
TORCH_MODULE(Bottleneck);

// Conv2d without bias (every ResNet conv is followed by BN).
torch::nn::Conv2d make_conv(int64_t in, int64_t out, int64_t kernel, int64_t stride,
                            int64_t padding);

}  // namespace ssl::plugins::backbone_resnet
