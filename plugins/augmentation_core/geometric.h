#pragma once
// Geometric ops: random_resized_crop, center_crop, resize.
//
// random_resized_crop follows Inception / torchvision (Szegedy et al. 2015; used by SimCLR,
// Chen et al. 2020): area fraction ~ U(scale), log aspect ~ U(log ratio), 10 attempts, then a
// centre crop clamped to the ratio range. Defaults: scale [0.08, 1], ratio [3/4, 4/3], bicubic.
#include <memory>

#include <opencv2/core/types.hpp>

#include "ssl/sdk/augmentation.h"
#include "ssl/sdk/config.h"
#include "ssl/sdk/context.h"
#include "ssl/sdk/schema.h"

namespace ssl::plugins::augmentation_core {

// Samples the crop box of random_resized_crop for a height x width image (pure: draws only
// from `rng`). The box always lies inside the image and is non-empty.
cv::Rect sample_resized_crop_box(int height, int width, double scale_lo, double scale_hi,
                                 double ratio_lo, double ratio_hi, sdk::Rng& rng);

struct RandomResizedCropOptions {
  cv::Size size{224, 224};
  double scale_lo = 0.08, scale_hi = 1.0;
  double ratio_lo = 3.0 / 4.0, ratio_hi = 4.0 / 3.0;
  int interpolation = 2;  // cv::INTER_CUBIC
};

class RandomResizedCrop final : public sdk::Augmentation {
 public:
  explicit RandomResizedCrop(RandomResizedCropOptions o) : o_(o) {}
  cv::Mat apply(const cv::Mat& image, sdk::Rng& rng) const override;

 private:
  RandomResizedCropOptions o_;
};

// Crops the centre; pads with zeros where the image is smaller than the crop (as torchvision).
class CenterCrop final : public sdk::Augmentation {
 public:
  explicit CenterCrop(cv::Size size) : size_(size) {}
  cv::Mat apply(const cv::Mat& image, sdk::Rng& rng) const override;

 private:
  cv::Size size_;
};

// Resizes to size x width, or (keep_aspect) so that the shorter side equals `size`.
class Resize final : public sdk::Augmentation {
 public:
  Resize(cv::Size size, bool keep_aspect, int interpolation)
      : size_(size), keep_aspect_(keep_aspect), interpolation_(interpolation) {}
  cv::Mat apply(const cv::Mat& image, sdk::Rng& rng) const override;

 private:
  cv::Size size_;
  bool keep_aspect_;
  int interpolation_;
};

sdk::Schema random_resized_crop_schema();
std::shared_ptr<sdk::Augmentation> make_random_resized_crop(const sdk::Config& c, const sdk::BuildContext&);
sdk::Schema center_crop_schema();
std::shared_ptr<sdk::Augmentation> make_center_crop(const sdk::Config& c, const sdk::BuildContext&);
sdk::Schema resize_schema();
std::shared_ptr<sdk::Augmentation> make_resize(const sdk::Config& c, const sdk::BuildContext&);

}  // namespace ssl::plugins::augmentation_core
