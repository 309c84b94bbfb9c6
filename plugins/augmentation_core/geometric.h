#pragma once
// Geometric ops (geometric.cpp): random_resized_crop, center_crop, resize. This header is the
// crop-box sampler, for its tests.
//
// random_resized_crop follows Inception / torchvision (Szegedy et al. 2015; used by SimCLR,
// Chen et al. 2020): area fraction ~ U(scale), log aspect ~ U(log ratio), 10 attempts, then a
// centre crop clamped to the ratio range. Defaults: scale [0.08, 1], ratio [3/4, 4/3], bicubic.
#include <opencv2/core/types.hpp>

#include "ssl/sdk/rng.h"

namespace ssl::plugins::augmentation_core {

// Samples the crop box of random_resized_crop for a height x width image (pure: draws only
// from `rng`). The box always lies inside the image and is non-empty.
cv::Rect sample_resized_crop_box(int height, int width, double scale_lo, double scale_hi, double ratio_lo,
                                 double ratio_hi, sdk::Rng& rng);

}  // namespace ssl::plugins::augmentation_core
