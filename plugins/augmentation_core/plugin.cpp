// augmentation_core: the per-view image ops of SimCLR, BYOL, SwAV/DINO multi-crop and RotNet.
#include "blur.h"
#include "color.h"
#include "flip_rotate.h"
#include "geometric.h"
#include "normalize.h"
#include "ssl/sdk/plugin_api.h"
#include "ssl/sdk/registrar.h"

namespace ssl::plugins::augmentation_core {

void register_components(sdk::Registrar& r) {
  r.add_augmentation("random_resized_crop", &make_random_resized_crop, random_resized_crop_schema(), "crop a random area/aspect, resize (Inception/SimCLR)");
  r.add_augmentation("horizontal_flip", &make_horizontal_flip, horizontal_flip_schema(), "mirror left-right with probability p");
  r.add_augmentation("color_jitter", &make_color_jitter, color_jitter_schema(), "brightness/contrast/saturation/hue in random order, with probability p");
  r.add_augmentation("grayscale", &make_grayscale, grayscale_schema(), "RGB to gray, kept as 3 channels, with probability p");
  r.add_augmentation("gaussian_blur", &make_gaussian_blur, gaussian_blur_schema(), "Gaussian blur with random sigma, with probability p");
  r.add_augmentation("solarize", &make_solarize, solarize_schema(), "invert values above a threshold, with probability p");
  r.add_augmentation("rotate", &make_rotate, rotate_schema(), "rotate by a random angle or one of a list");
  r.add_augmentation("resize", &make_resize, resize_schema(), "resize to a fixed size or shorter side");
  r.add_augmentation("center_crop", &make_center_crop, center_crop_schema(), "crop the centre (zero padding if smaller)");
  r.add_augmentation("normalize", &make_normalize, normalize_schema(), "to float, (x/255 - mean) / std per channel");
}

}  // namespace ssl::plugins::augmentation_core

SSL_PLUGIN_DEFINE(augmentation_core, "0.1.0", ssl::plugins::augmentation_core::register_components)
