// tiny_cnn: a four-layer convolutional backbone for smoke tests and quick CPU runs.
//
//   features.0..2   conv3x3(C -> w,  stride 1) - BN - ReLU
//   features.3..5   conv3x3(w -> 2w, stride 2) - BN - ReLU
//   features.6..8   conv3x3(2w -> 4w, stride 2) - BN - ReLU
//   features.9..11  conv3x3(4w -> 8w, stride 2) - BN - ReLU
//   global average pool
//
// images [N, C, H, W] -> features [N, 8 * width] (256 at the default width 32). Any H, W >= 8.
#include <ATen/ATen.h>
#include <torch/nn/init.h>
#include <torch/nn/modules/activation.h>
#include <torch/nn/modules/container/sequential.h>
#include <torch/nn/modules/conv.h>

#include <cstdint>

#include "ssl/nn/batch_norm.h"
#include "ssl/sdk/backbone.h"
#include "ssl/sdk/error.h"
#include "ssl/sdk/registrar.h"

namespace ssl::plugins::backbone_simple {
namespace {

class TinyCnn final : public sdk::Backbone {
 public:
  TinyCnn(const sdk::Config& cfg, const sdk::BuildContext& ctx)
      : TinyCnn(sdk::input_channels(cfg, ctx), cfg.get_int("width")) {}
  static sdk::Schema schema();
  // images [N, in_channels, H, W] -> [N, 8 * width]
  at::Tensor forward(const at::Tensor& images) override;
  int64_t num_features() const override { return num_features_; }

 private:
  TinyCnn(int64_t in_channels, int64_t width);

  int64_t in_channels_;
  int64_t num_features_;
  torch::nn::Sequential features_{nullptr};
};

}  // namespace

TinyCnn::TinyCnn(int64_t in_channels, int64_t width) : in_channels_(in_channels), num_features_(8 * width) {
  SSL_CHECK(in_channels > 0 && width > 0, "tiny_cnn: in_channels and width must be > 0, got ", in_channels, " and ",
            width);
  features_ = torch::nn::Sequential();
  const int64_t channels[] = {width, 2 * width, 4 * width, 8 * width};
  int64_t in = in_channels;
  for (int i = 0; i < 4; ++i) {
    torch::nn::Conv2d conv(torch::nn::Conv2dOptions(in, channels[i], 3).stride(i == 0 ? 1 : 2).padding(1).bias(false));
    torch::nn::init::kaiming_normal_(conv->weight, 0.0, torch::kFanOut, torch::kReLU);
    features_->push_back(conv);
    features_->push_back(ssl::nn::SyncBatchNorm2d(channels[i]));
    features_->push_back(torch::nn::ReLU(torch::nn::ReLUOptions(true)));
    in = channels[i];
  }
  register_module("features", features_);
}

at::Tensor TinyCnn::forward(const at::Tensor& images) {
  SSL_CHECK(images.dim() == 4 && images.size(1) == in_channels_, "tiny_cnn: expected images [N, ", in_channels_,
            ", H, W], got ", images.sizes());
  return features_->forward(images).mean({2, 3});
}

sdk::Schema TinyCnn::schema() {
  sdk::Schema s;
  s.add_int("width", 32, "channels of the first layer; the layers have w, 2w, 4w, 8w").min(1);
  s.add_int("in_channels", 0, "input channels; 0 = those of the training images").min(0);
  return s;
}

void register_tiny_cnn(sdk::Registrar& r) {
  r.add_backbone<TinyCnn>("tiny_cnn",
                          "4-layer conv-BN-ReLU net + global average pool (8*width features) for smoke tests");
}

}  // namespace ssl::plugins::backbone_simple
