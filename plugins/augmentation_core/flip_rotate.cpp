#include "flip_rotate.h"

#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>

#include <cmath>

#include "image_util.h"
#include "ssl/sdk/error.h"

namespace ssl::plugins::augmentation_core {

cv::Mat HorizontalFlip::apply(const cv::Mat& image, sdk::Rng& rng) const {
  check_input(image, "horizontal_flip");
  if (!rng.bernoulli(p_)) return image;
  cv::Mat out;
  cv::flip(image, out, 1);
  return out;
}

cv::Mat Rotate::rotate(const cv::Mat& image, double degrees) const {
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
    cv::warpAffine(image, out, m, image.size(), o_.interpolation, cv::BORDER_CONSTANT,
                   cv::Scalar::all(o_.fill));
  }
  return out;
}

cv::Mat Rotate::apply(const cv::Mat& image, sdk::Rng& rng) const {
  check_input(image, "rotate");
  if (!rng.bernoulli(o_.p)) return image;
  const double degrees =
      o_.angles.empty()
          ? rng.uniform(o_.degrees_lo, o_.degrees_hi)
          : o_.angles[static_cast<size_t>(rng.randint(0, static_cast<int64_t>(o_.angles.size())))];
  return rotate(image, degrees);
}

sdk::Schema horizontal_flip_schema() {
  sdk::Schema s;
  s.add_float("p", 0.5, "flip probability (SimCLR/BYOL: 0.5)").range(0.0, 1.0);
  return s;
}

std::shared_ptr<sdk::Augmentation> make_horizontal_flip(const sdk::Config& c, const sdk::BuildContext&) {
  return std::make_shared<HorizontalFlip>(c.get_float("p"));
}

sdk::Schema rotate_schema() {
  sdk::Schema s;
  s.add_float_list("degrees", {0.0, 0.0}, "uniform angle range [min, max], counter-clockwise")
      .size(2, 2).range(-360.0, 360.0);
  s.add_float_list("angles", {}, "if set, one of these angles uniformly (RotNet: [0, 90, 180, 270])")
      .range(-360.0, 360.0);
  s.add_float("p", 1.0, "probability of rotating at all").range(0.0, 1.0);
  s.add_string("interpolation", "bilinear", "resampling filter for non-right angles")
      .choices({"nearest", "bilinear", "bicubic"});
  s.add_float("fill", 0.0, "value of uncovered corners, on the image's scale").min(0.0);
  return s;
}

std::shared_ptr<sdk::Augmentation> make_rotate(const sdk::Config& c, const sdk::BuildContext&) {
  RotateOptions o;
  const auto degrees = c.get_float_list("degrees");
  SSL_CHECK(degrees.size() == 2 && degrees[0] <= degrees[1], c.context(),
            ": 'degrees' must be [min, max] with min <= max");
  o.degrees_lo = degrees[0];
  o.degrees_hi = degrees[1];
  o.angles = c.get_float_list("angles");
  o.p = c.get_float("p");
  o.interpolation = parse_interpolation(c.get_string("interpolation"));
  o.fill = c.get_float("fill");
  return std::make_shared<Rotate>(std::move(o));
}

}  // namespace ssl::plugins::augmentation_core
