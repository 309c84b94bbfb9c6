#pragma once
// ResNet backbones (He et al. 2016) with torchvision's parameter and buffer names
// (conv1, bn1, layer1.0.conv1, layer1.0.downsample.0, ...; no fc), so an exported state dict
// loads into torchvision.models.resnetXX() with only fc.* missing (for the "imagenet" stem;
// with the "cifar" stem conv1.weight is [w, C, 3, 3], so replace model.conv1 and model.maxpool
// first, as solo-learn does for CIFAR).
//
// images [N, C, H, W] -> features [N, num_features()]: the global-average-pooled output of
// layer4 (or the last stage), before any fc.
#include <ATen/core/Tensor.h>
#include <torch/nn/modules/container/sequential.h>
#include <torch/nn/modules/conv.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "ssl/nn/batch_norm.h"
#include "ssl/sdk/backbone.h"
#include "ssl/sdk/config.h"
#include "ssl/sdk/context.h"
#include "ssl/sdk/schema.h"

namespace ssl::plugins::backbone_resnet {

struct ResNetSpec {
  bool bottleneck = false;               // BasicBlock (18/34) or Bottleneck (50)
  std::vector<int64_t> blocks{2, 2, 2, 2};  // blocks per stage, 1..4 stages
  int64_t width = 64;                    // channels of the first stage; stage i has width * 2^i
  bool cifar_stem = true;                // 3x3 stride 1, no max-pool | 7x7 stride 2 + max-pool
  int64_t stem_stride = 1;  // CIFAR stem only: 2 halves the resolution (4x fewer FLOPs)
  int64_t in_channels = 3;
  bool zero_init_residual = false;       // last BN of each block starts at 0 (Goyal et al. 2017)
};

class ResNet final : public sdk::Backbone {
 public:
  explicit ResNet(const ResNetSpec& spec);
  // images [N, in_channels, H, W] -> [N, num_features()]
  at::Tensor forward(const at::Tensor& images) override;
  // width * 2^(stages-1) * expansion: 512 for resnet18/34, 2048 for resnet50 (width 64).
  int64_t num_features() const override { return num_features_; }

 private:
  ResNetSpec spec_;
  int64_t num_features_ = 0;
  torch::nn::Conv2d conv1_{nullptr};
  ssl::nn::SyncBatchNorm2d bn1_{nullptr};
  std::vector<torch::nn::Sequential> stages_;  // layer1..layer4
};

// Schema of resnet18 / resnet34 / resnet50: stem, in_channels, width, zero_init_residual.
sdk::Schema resnet_schema();
// Schema of resnet_small: width, blocks, in_channels.
sdk::Schema resnet_small_schema();

std::shared_ptr<sdk::Backbone> make_resnet18(const sdk::Config& cfg, const sdk::BuildContext& ctx);
std::shared_ptr<sdk::Backbone> make_resnet34(const sdk::Config& cfg, const sdk::BuildContext& ctx);
std::shared_ptr<sdk::Backbone> make_resnet50(const sdk::Config& cfg, const sdk::BuildContext& ctx);
std::shared_ptr<sdk::Backbone> make_resnet_small(const sdk::Config& cfg,
                                                 const sdk::BuildContext& ctx);

}  // namespace ssl::plugins::backbone_resnet
