#pragma once
// tiny_cnn: a four-layer convolutional backbone for smoke tests and quick CPU runs.
//
//   features.0..2   conv3x3(C -> w,  stride 1) - BN - ReLU
//   features.3..5   conv3x3(w -> 2w, stride 2) - BN - ReLU
//   features.6..8   conv3x3(2w -> 4w, stride 2) - BN - ReLU
//   features.9..11  conv3x3(4w -> 8w, stride 2) - BN - ReLU
//   global average pool
//
// images [N, C, H, W] -> features [N, 8 * width] (256 at the default width 32). Any H, W >= 8.
#include <ATen/core/Tensor.h>
#include <torch/nn/modules/container/sequential.h>

#include <cstdint>
#include <memory>

#include "ssl/sdk/backbone.h"
#include "ssl/sdk/config.h"
#include "ssl/sdk/context.h"
#include "ssl/sdk/schema.h"

namespace ssl::plugins::backbone_simple {

class TinyCnn final : public sdk::Backbone {
 public:
  TinyCnn(int64_t in_channels, int64_t width);
  // images [N, in_channels, H, W] -> [N, 8 * width]
  at::Tensor forward(const at::Tensor& images) override;
  int64_t num_features() const override { return num_features_; }

 private:
  int64_t in_channels_;
  int64_t num_features_;
  torch::nn::Sequential features_{nullptr};
};

sdk::Schema tiny_cnn_schema();
std::shared_ptr<sdk::Backbone> make_tiny_cnn(const sdk::Config& cfg, const sdk::BuildContext& ctx);

}  // namespace ssl::plugins::backbone_simple
