// pixels: the image itself as the representation (flattened, no parameters). With
// `[trainer] epochs = 0` a pipeline evaluates raw pixels with the same evaluators as a trained
// encoder: the baseline an encoder has to beat (kNN with cosine on Fashion-MNIST pixels).
//
// images [N, C, S, S] -> features [N, C * S * S]
#include <ATen/ATen.h>

#include <cstdint>

#include "ssl/sdk/backbone.h"
#include "ssl/sdk/error.h"
#include "ssl/sdk/registrar.h"

namespace ssl::plugins::backbone_simple {
namespace {

class Pixels final : public sdk::Backbone {
 public:
  Pixels(const sdk::Config& cfg, const sdk::BuildContext& ctx)
      : channels_(cfg.get_int("in_channels") > 0 ? cfg.get_int("in_channels") : ctx.input_channels),
        size_(cfg.get_int("size") > 0 ? cfg.get_int("size") : ctx.input_size) {
    SSL_CHECK(channels_ > 0 && size_ > 0, cfg.context(),
              ": the image shape is not known here; set in_channels and size");
  }
  static sdk::Schema schema();
  at::Tensor forward(const at::Tensor& images) override;
  int64_t num_features() const override { return channels_ * size_ * size_; }

 private:
  int64_t channels_, size_;
};

}  // namespace

at::Tensor Pixels::forward(const at::Tensor& images) {
  SSL_CHECK(images.dim() == 4 && images.size(1) == channels_ && images.size(2) == size_ && images.size(3) == size_,
            "pixels: expected images [N, ", channels_, ", ", size_, ", ", size_, "], got ", images.sizes(),
            " (the feature size is fixed at build time: set [backbone] size)");
  return images.contiguous().reshape({images.size(0), -1});
}

sdk::Schema Pixels::schema() {
  sdk::Schema s;
  s.add_int("in_channels", 0, "image channels; 0 = those of the training images").min(0);
  s.add_int("size", 0, "image side in pixels; 0 = that of the first training view").min(0);
  return s;
}

void register_pixels(sdk::Registrar& r) {
  r.add_backbone<Pixels>("pixels",
                         "the flattened image, no parameters: the raw-pixel baseline (with [trainer] epochs = 0)");
}

}  // namespace ssl::plugins::backbone_simple
