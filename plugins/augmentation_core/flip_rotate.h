#pragma once
// horizontal_flip (p 0.5, SimCLR/BYOL) and rotate (RotNet, Gidaris et al. 2018: angles
// [0, 90, 180, 270]; or a uniform angle in `degrees`). Angles are counter-clockwise, as in
// torchvision. Multiples of 90 degrees are exact pixel permutations (non-square images swap
// height and width); other angles keep the size and fill uncovered corners with `fill`.
#include <memory>
#include <vector>

#include "ssl/sdk/augmentation.h"
#include "ssl/sdk/config.h"
#include "ssl/sdk/context.h"
#include "ssl/sdk/schema.h"

namespace ssl::plugins::augmentation_core {

class HorizontalFlip final : public sdk::Augmentation {
 public:
  explicit HorizontalFlip(double p) : p_(p) {}
  cv::Mat apply(const cv::Mat& image, sdk::Rng& rng) const override;

 private:
  double p_;
};

struct RotateOptions {
  double degrees_lo = 0.0, degrees_hi = 0.0;
  std::vector<double> angles;  // non-empty: pick one of these uniformly instead
  double p = 1.0;
  int interpolation = 1;       // cv::INTER_LINEAR
  double fill = 0.0;           // on the image's own scale (0..255 for CV_8U)
};

class Rotate final : public sdk::Augmentation {
 public:
  explicit Rotate(RotateOptions o) : o_(std::move(o)) {}
  cv::Mat apply(const cv::Mat& image, sdk::Rng& rng) const override;
  // Rotates by `degrees` counter-clockwise (exact for multiples of 90).
  cv::Mat rotate(const cv::Mat& image, double degrees) const;

 private:
  RotateOptions o_;
};

sdk::Schema horizontal_flip_schema();
std::shared_ptr<sdk::Augmentation> make_horizontal_flip(const sdk::Config& c, const sdk::BuildContext&);
sdk::Schema rotate_schema();
std::shared_ptr<sdk::Augmentation> make_rotate(const sdk::Config& c, const sdk::BuildContext&);

}  // namespace ssl::plugins::augmentation_core
