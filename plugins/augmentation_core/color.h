#pragma once
// Colour ops: color_jitter, grayscale, solarize.
//
// Defaults follow SimCLR (Chen et al. 2020) and BYOL (Grill et al. 2020): colour jitter with
// brightness 0.4, contrast 0.4, saturation 0.2, hue 0.1 applied with p 0.8, factors in random
// order; grayscale p 0.2; solarize threshold 128 (BYOL: p 0 / 0.2 on its two views).
// On 1-channel images colour jitter applies brightness and contrast only, and grayscale is a
// no-op. CV_32F input is taken to be on the [0, 1] scale (CV_8U on [0, 255]).
#include <memory>

#include "ssl/sdk/augmentation.h"
#include "ssl/sdk/config.h"
#include "ssl/sdk/context.h"
#include "ssl/sdk/schema.h"

namespace ssl::plugins::augmentation_core {

struct ColorJitterOptions {
  double brightness = 0.4, contrast = 0.4, saturation = 0.2, hue = 0.1;
  double p = 0.8;
};

// Factors as torchvision: brightness/contrast/saturation ~ U(max(0, 1-x), 1+x), hue ~ U(-h, h)
// (fraction of a full turn); contrast blends with the mean gray level, saturation with the
// per-pixel gray image; results are clamped to the valid range after each factor.
class ColorJitter final : public sdk::Augmentation {
 public:
  explicit ColorJitter(ColorJitterOptions o) : o_(o) {}
  cv::Mat apply(const cv::Mat& image, sdk::Rng& rng) const override;

 private:
  ColorJitterOptions o_;
};

// RGB -> gray (ITU-R 601 luma) replicated to 3 equal channels, with probability p.
class Grayscale final : public sdk::Augmentation {
 public:
  explicit Grayscale(double p) : p_(p) {}
  cv::Mat apply(const cv::Mat& image, sdk::Rng& rng) const override;

 private:
  double p_;
};

// With probability p, every channel value >= threshold (0..255 scale) becomes max - value.
class Solarize final : public sdk::Augmentation {
 public:
  Solarize(double threshold, double p) : threshold_(threshold), p_(p) {}
  cv::Mat apply(const cv::Mat& image, sdk::Rng& rng) const override;

 private:
  double threshold_, p_;
};

sdk::Schema color_jitter_schema();
std::shared_ptr<sdk::Augmentation> make_color_jitter(const sdk::Config& c, const sdk::BuildContext&);
sdk::Schema grayscale_schema();
std::shared_ptr<sdk::Augmentation> make_grayscale(const sdk::Config& c, const sdk::BuildContext&);
sdk::Schema solarize_schema();
std::shared_ptr<sdk::Augmentation> make_solarize(const sdk::Config& c, const sdk::BuildContext&);

}  // namespace ssl::plugins::augmentation_core
