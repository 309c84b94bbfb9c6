#include "pixels.h"

#include <ATen/ATen.h>

#include "ssl/sdk/error.h"

namespace ssl::plugins::backbone_simple {

Pixels::Pixels(int64_t channels, int64_t size) : channels_(channels), size_(size) {
  SSL_CHECK(channels > 0 && size > 0, "pixels: channels and size must be > 0, got ", channels, " and ", size);
}

at::Tensor Pixels::forward(const at::Tensor& images) {
  SSL_CHECK(images.dim() == 4 && images.size(1) == channels_ && images.size(2) == size_ && images.size(3) == size_,
            "pixels: expected images [N, ", channels_, ", ", size_, ", ", size_, "], got ", images.sizes(),
            " (the feature size is fixed at build time: set [backbone] size)");
  return images.contiguous().reshape({images.size(0), -1});
}

sdk::Schema pixels_schema() {
  sdk::Schema s;
  s.add_int("in_channels", 0, "image channels; 0 = those of the training images").min(0);
  s.add_int("size", 0, "image side in pixels; 0 = that of the first training view").min(0);
  return s;
}

std::shared_ptr<sdk::Backbone> make_pixels(const sdk::Config& cfg, const sdk::BuildContext& ctx) {
  const int64_t channels = cfg.get_int("in_channels") > 0 ? cfg.get_int("in_channels") : ctx.input_channels;
  const int64_t size = cfg.get_int("size") > 0 ? cfg.get_int("size") : ctx.input_size;
  SSL_CHECK(channels > 0 && size > 0, cfg.context(), ": the image shape is not known here; set in_channels and size");
  return std::make_shared<Pixels>(channels, size);
}

}  // namespace ssl::plugins::backbone_simple
