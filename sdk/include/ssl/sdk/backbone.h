#pragma once
// A backbone: images [N, C, H, W] -> features [N, num_features()], before any head.
// Parameter names follow torchvision where an equivalent exists, so exported weights load there.
#include <ATen/core/Tensor.h>
#include <torch/nn/module.h>

#include <cstdint>

#include "ssl/sdk/export.h"

namespace ssl::sdk {

class Config;
struct BuildContext;

class SSL_SDK_API Backbone : public torch::nn::Module {
 public:
  ~Backbone() override;
  virtual at::Tensor forward(const at::Tensor& images) = 0;
  virtual int64_t num_features() const = 0;
};

// A backbone's input channels: its "in_channels" key when > 0, else the training images'
// channels (ctx.input_channels), else 3 with a warning (nothing known yet: describe, validate).
SSL_SDK_API int64_t input_channels(const Config& cfg, const BuildContext& ctx);

}  // namespace ssl::sdk
