// augmentation_core: the per-view image ops of SimCLR, BYOL, SwAV/DINO multi-crop and RotNet,
// by family, each .cpp ending in its registration function.
#include "ssl/sdk/plugin_api.h"
#include "ssl/sdk/registrar.h"

namespace ssl::plugins::augmentation_core {

void register_geometric(sdk::Registrar& r);    // random_resized_crop, resize, center_crop
void register_flip_rotate(sdk::Registrar& r);  // horizontal_flip, rotate
void register_color(sdk::Registrar& r);        // color_jitter, grayscale, solarize
void register_blur(sdk::Registrar& r);         // gaussian_blur
void register_normalize(sdk::Registrar& r);    // normalize

void register_components(sdk::Registrar& r) {
  register_geometric(r);
  register_flip_rotate(r);
  register_color(r);
  register_blur(r);
  register_normalize(r);
}

}  // namespace ssl::plugins::augmentation_core

SSL_PLUGIN_DEFINE(augmentation_core, "0.1.0", ssl::plugins::augmentation_core::register_components)
