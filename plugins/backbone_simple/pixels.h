#pragma once
// pixels: the image itself as the representation (flattened, no parameters). With
// `[trainer] epochs = 0` a pipeline evaluates raw pixels with the same evaluators as a trained
// encoder: the baseline an encoder has to beat (kNN with cosine on Fashion-MNIST pixels).
//
// images [N, C, S, S] -> features [N, C * S * S]
#include <ATen/core/Tensor.h>

#include <cstdint>
#include <memory>

#include "ssl/sdk/backbone.h"
#include "ssl/sdk/config.h"
#include "ssl/sdk/context.h"
#include "ssl/sdk/schema.h"

namespace ssl::plugins::backbone_simple {

class Pixels final : public sdk::Backbone {
 public:
  Pixels(int64_t channels, int64_t size);
  at::Tensor forward(const at::Tensor& images) override;
  int64_t num_features() const override { return channels_ * size_ * size_; }

 private:
  int64_t channels_, size_;
};

sdk::Schema pixels_schema();
std::shared_ptr<sdk::Backbone> make_pixels(const sdk::Config& cfg, const sdk::BuildContext& ctx);

}  // namespace ssl::plugins::backbone_simple
