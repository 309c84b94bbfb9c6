#include "blocks.h"

#include <ATen/ATen.h>
#include <torch/nn/init.h>

namespace ssl::plugins::backbone_resnet {

namespace {

// torchvision's 1x1 conv + BN shortcut, used when the shape changes; else nullptr (identity).
torch::nn::Sequential make_downsample(int64_t in, int64_t out, int64_t stride) {
  if (stride == 1 && in == out) return torch::nn::Sequential(nullptr);
  return torch::nn::Sequential(make_conv(in, out, 1, stride, 0), ssl::nn::SyncBatchNorm2d(out));
}

}  // namespace

torch::nn::Conv2d make_conv(int64_t in, int64_t out, int64_t kernel, int64_t stride,
                            int64_t padding) {
  torch::nn::Conv2d conv(
      torch::nn::Conv2dOptions(in, out, kernel).stride(stride).padding(padding).bias(false));
  // torchvision's initialisation: Kaiming normal, fan_out, ReLU gain.
  torch::nn::init::kaiming_normal_(conv->weight, 0.0, torch::kFanOut, torch::kReLU);
  return conv;
}

BasicBlockImpl::BasicBlockImpl(int64_t in_planes, int64_t planes, int64_t stride,
                               bool zero_init_residual) {
  conv1_ = register_module("conv1", make_conv(in_planes, planes, 3, stride, 1));
  bn1_ = register_module("bn1", ssl::nn::SyncBatchNorm2d(planes));
  conv2_ = register_module("conv2", make_conv(planes, planes, 3, 1, 1));
  bn2_ = register_module("bn2", ssl::nn::SyncBatchNorm2d(planes));
  downsample_ = make_downsample(in_planes, planes * kExpansion, stride);
  if (downsample_) register_module("downsample", downsample_);
  // Goyal et al. 2017: each block starts as the identity.
  if (zero_init_residual) torch::nn::init::zeros_(bn2_->weight);
}

at::Tensor BasicBlockImpl::forward(const at::Tensor& x) {
  at::Tensor out = bn1_->forward(conv1_->forward(x)).relu_();
  out = bn2_->forward(conv2_->forward(out));
  out += downsample_ ? downsample_->forward(x) : x;
  return out.relu_();
}

BottleneckImpl::BottleneckImpl(int64_t in_planes, int64_t planes, int64_t stride,
                               bool zero_init_residual) {
  conv1_ = register_module("conv1", make_conv(in_planes, planes, 1, 1, 0));
  bn1_ = register_module("bn1", ssl::nn::SyncBatchNorm2d(planes));
  conv2_ = register_module("conv2", make_conv(planes, planes, 3, stride, 1));
  bn2_ = register_module("bn2", ssl::nn::SyncBatchNorm2d(planes));
  conv3_ = register_module("conv3", make_conv(planes, planes * kExpansion, 1, 1, 0));
  bn3_ = register_module("bn3", ssl::nn::SyncBatchNorm2d(planes * kExpansion));
  downsample_ = make_downsample(in_planes, planes * kExpansion, stride);
  if (downsample_) register_module("downsample", downsample_);
  if (zero_init_residual) torch::nn::init::zeros_(bn3_->weight);
}

at::Tensor BottleneckImpl::forward(const at::Tensor& x) {
  at::Tensor out = bn1_->forward(conv1_->forward(x)).relu_();
  out = bn2_->forward(conv2_->forward(out)).relu_();
  out = bn3_->forward(conv3_->forward(out));
  out += downsample_ ? downsample_->forward(x) : x;
  return out.relu_();
}

}  // namespace ssl::plugins::backbone_resnet
