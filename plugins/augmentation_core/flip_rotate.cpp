// horizontal_flip (p 0.5, SimCLR/BYOL) and rotate (RotNet, Gidaris et al. 2018: angles
// [0, 90, 180, 270]; or a uniform angle in `degrees`). Angles are counter-clockwise, as in
// torchvision. Multiples of 90 degrees are exact pixel permutations (non-square images swap
// height and width); other angles keep the size and fill uncovered corners with `fill`.
#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>

#include <cmath>
#include <vector>

#include "image_util.h"
#include "ssl/sdk/augmentation.h"
#include "ssl/sdk/error.h"
#include "ssl/sdk/registrar.h"

namespace ssl::plugins::augmentation_core {
namespace {

class HorizontalFlip final : public sdk::Augmentation {
 public:
  HorizontalFlip(const sdk::Config& c, const sdk::BuildContext&) : p_(c.get_float("p")) {}

  static sdk::Schema schema() {
    sdk::Schema s;
    s.add_float("p", 0.5, "flip probability (SimCLR/BYOL: 0.5)").range(0.0, 1.0);
    return s;
  }

  cv::Mat apply(const cv::Mat& image, sdk::Rng& rng) const override {
    check_input(image, "horizontal_flip");
    if (!rng.bernoulli(p_)) return image;
    cv::Mat out;
    cv::flip(image, out, 1);
    return out;
  }

 private:
  double p_;
};

class Rotate final : public sdk::Augmentation {
 public:
  Rotate(const sdk::Config& c, const sdk::BuildContext&)
      : angles_(c.get_float_list("angles")), p_(c.get_float("p")),
        interpolation_(parse_interpolation(c.get_string("interpolation"))), fill_(c.get_float("fill")) {
    const auto degrees = c.get_float_list("degrees");
    SSL_CHECK(degrees.size() == 2 && degrees[0] <= degrees[1], c.context(),
              ": 'degrees' must be [min, max] with min <= max");
    degrees_lo_ = degrees[0];
    degrees_hi_ = degrees[1];
  }

  static sdk::Schema schema() {
    sdk::Schema s;
    s.add_float_list("degrees", {0.0, 0.0}, "uniform angle range [min, max], counter-clockwise")
        .size(2, 2)
        .range(-360.0, 360.0);
    s.add_float_list("angles", {}, "if set, one of these angles uniformly (RotNet: [0, 90, 180, 270])")
        .range(-360.0, 360.0);
    s.add_float("p", 1.0, "probability of rotating at all").range(0.0, 1.0);
    s.add_string("interpolation", "bilinear", "resampling filter for non-right angles")
        .choices({"nearest", "bilinear", "bicubic"});
    s.add_float("fill", 0.0, "value of uncovered corners, on the image's scale").min(0.0);
    return s;
  }

  cv::Mat apply(const cv::Mat& image, sdk::Rng& rng) const override {
    check_input(image, "rotate");
    if (!rng.bernoulli(p_)) return image;
    const double degrees = angles_.empty()
                               ? rng.uniform(degrees_lo_, degrees_hi_)
                               : angles_[static_cast<size_t>(rng.randint(0, static_cast<int64_t>(angles_.size())))];
    return rotate(image, degrees);
  }

 private:
  // Rotates by `degrees` counter-clockwise (exact for multiples of 90).
  cv::Mat rotate(const cv::Mat& image, double degrees) const {
    double turns = std::fmod(degrees, 360.0);
    if (turns < 0) turns += 360.0;
    cv::Mat out;
    if (std::abs(turns) < 1e-9) return image.clone();
    if (std::abs(turns - 90.0) < 1e-9) cv::rotate(image, out, cv::ROTATE_90_COUNTERCLOCKWISE);
    else if (std::abs(turns - 180.0) < 1e-9) cv::rotate(image, out, cv::ROTATE_180);
    else if (std::abs(turns - 270.0) < 1e-9) cv::rotate(image, out, cv::ROTATE_90_CLOCKWISE);
    else {
      // Pixel centres: rotate about the exact image centre.
      const cv::Point2f centre((image.cols - 1) * 0.5f, (image.rows - 1) * 0.5f);
      const cv::Mat m = cv::getRotationMatrix2D(centre, degrees, 1.0);
      cv::warpAffine(image, out, m, image.size(), interpolation_, cv::BORDER_CONSTANT, cv::Scalar::all(fill_));
    }
    return out;
  }

  double degrees_lo_ = 0.0, degrees_hi_ = 0.0;
  std::vector<double> angles_;  // non-empty: pick one of these uniformly instead
  double p_;
  int interpolation_;
  double fill_;  // on the image's own scale (0..255 for CV_8U)
};

}  // namespace

void register_flip_rotate(sdk::Registrar& r) {
  r.add_augmentation<HorizontalFlip>("horizontal_flip", "mirror left-right with probability p");
  r.add_augmentation<Rotate>("rotate", "rotate by a random angle or one of a list");
}

}  // namespace ssl::plugins::augmentation_core
