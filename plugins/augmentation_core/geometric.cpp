// Geometric ops: random_resized_crop, center_crop, resize (sample_resized_crop_box in
// geometric.h).
#include "geometric.h"

#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <cmath>

#include "image_util.h"
#include "ssl/sdk/augmentation.h"
#include "ssl/sdk/error.h"
#include "ssl/sdk/registrar.h"

namespace ssl::plugins::augmentation_core {

cv::Rect sample_resized_crop_box(int height, int width, double scale_lo, double scale_hi, double ratio_lo,
                                 double ratio_hi, sdk::Rng& rng) {
  const double area = static_cast<double>(height) * width;
  const double log_lo = std::log(ratio_lo), log_hi = std::log(ratio_hi);
  for (int attempt = 0; attempt < 10; ++attempt) {
    const double target_area = area * rng.uniform(scale_lo, scale_hi);
    const double aspect = std::exp(rng.uniform(log_lo, log_hi));
    const int w = static_cast<int>(std::lround(std::sqrt(target_area * aspect)));
    const int h = static_cast<int>(std::lround(std::sqrt(target_area / aspect)));
    if (w > 0 && h > 0 && w <= width && h <= height) {
      const int top = static_cast<int>(rng.randint(0, height - h + 1));
      const int left = static_cast<int>(rng.randint(0, width - w + 1));
      return {left, top, w, h};
    }
  }
  // Fallback: the whole image, clamped to the ratio range, centred.
  const double in_ratio = static_cast<double>(width) / height;
  int w = width, h = height;
  if (in_ratio < ratio_lo) h = static_cast<int>(std::lround(w / ratio_lo));
  else if (in_ratio > ratio_hi) w = static_cast<int>(std::lround(h * ratio_hi));
  w = std::clamp(w, 1, width);
  h = std::clamp(h, 1, height);
  return {(width - w) / 2, (height - h) / 2, w, h};
}

namespace {

class RandomResizedCrop final : public sdk::Augmentation {
 public:
  RandomResizedCrop(const sdk::Config& c, const sdk::BuildContext&)
      : size_(size_from(c)), interpolation_(parse_interpolation(c.get_string("interpolation"))) {
    const auto scale = c.get_float_list("scale"), ratio = c.get_float_list("ratio");
    SSL_CHECK(scale.size() == 2 && scale[0] > 0.0 && scale[0] <= scale[1] && scale[1] <= 1.0, c.context(),
              ": 'scale' must be [min, max] with 0 < min <= max <= 1");
    SSL_CHECK(ratio.size() == 2 && ratio[0] > 0.0 && ratio[0] <= ratio[1], c.context(),
              ": 'ratio' must be [min, max] with 0 < min <= max");
    scale_lo_ = scale[0];
    scale_hi_ = scale[1];
    ratio_lo_ = ratio[0];
    ratio_hi_ = ratio[1];
  }

  static sdk::Schema schema() {
    sdk::Schema s;
    add_size_keys(s, 224);
    s.add_float_list("scale", {0.08, 1.0}, "range of the crop's area fraction (SimCLR: 0.08..1)")
        .size(2, 2)
        .range(0.0, 1.0);
    s.add_float_list("ratio", {3.0 / 4.0, 4.0 / 3.0}, "range of the crop's aspect ratio w/h")
        .size(2, 2)
        .greater_than(0.0);
    s.add_string("interpolation", "bicubic", "resampling filter").choices(interpolation_choices());
    return s;
  }

  cv::Mat apply(const cv::Mat& image, sdk::Rng& rng) const override {
    check_input(image, "random_resized_crop");
    const cv::Rect box =
        sample_resized_crop_box(image.rows, image.cols, scale_lo_, scale_hi_, ratio_lo_, ratio_hi_, rng);
    cv::Mat out;
    cv::resize(image(box), out, size_, 0, 0, interpolation_);
    return out;
  }

 private:
  cv::Size size_;
  double scale_lo_ = 0.08, scale_hi_ = 1.0;
  double ratio_lo_ = 3.0 / 4.0, ratio_hi_ = 4.0 / 3.0;
  int interpolation_;
};

// Crops the centre; pads with zeros where the image is smaller than the crop (as torchvision).
class CenterCrop final : public sdk::Augmentation {
 public:
  CenterCrop(const sdk::Config& c, const sdk::BuildContext&) : size_(size_from(c)) {
    SSL_CHECK(size_.height > 0, c.context(), ": 'size' must be > 0");
  }

  static sdk::Schema schema() {
    sdk::Schema s;
    add_size_keys(s, 0);
    return s;
  }

  cv::Mat apply(const cv::Mat& image, sdk::Rng&) const override {
    check_input(image, "center_crop");
    cv::Mat src = image;
    const int pad_h = std::max(0, size_.height - image.rows), pad_w = std::max(0, size_.width - image.cols);
    if (pad_h > 0 || pad_w > 0)
      cv::copyMakeBorder(image, src, pad_h / 2, pad_h - pad_h / 2, pad_w / 2, pad_w - pad_w / 2, cv::BORDER_CONSTANT,
                         cv::Scalar::all(0));
    const cv::Rect box((src.cols - size_.width) / 2, (src.rows - size_.height) / 2, size_.width, size_.height);
    return src(box).clone();
  }

 private:
  cv::Size size_;
};

// Resizes to size x width, or (keep_aspect) so that the shorter side equals `size`.
class Resize final : public sdk::Augmentation {
 public:
  Resize(const sdk::Config& c, const sdk::BuildContext&)
      : size_(size_from(c)), keep_aspect_(c.get_bool("keep_aspect")),
        interpolation_(parse_interpolation(c.get_string("interpolation"))) {
    SSL_CHECK(size_.height > 0, c.context(), ": 'size' must be > 0");
    SSL_CHECK(!keep_aspect_ || c.get_int("width") == 0, c.context(),
              ": 'width' cannot be combined with keep_aspect = true");
  }

  static sdk::Schema schema() {
    sdk::Schema s;
    add_size_keys(s, 0);
    s.add_bool("keep_aspect", false, "true: resize the shorter side to 'size' keeping the aspect ratio");
    s.add_string("interpolation", "bilinear", "resampling filter").choices(interpolation_choices());
    return s;
  }

  cv::Mat apply(const cv::Mat& image, sdk::Rng&) const override {
    check_input(image, "resize");
    cv::Size target = size_;
    if (keep_aspect_) {
      const double s = static_cast<double>(size_.height) / std::min(image.rows, image.cols);
      target = {std::max(1, static_cast<int>(std::lround(image.cols * s))),
                std::max(1, static_cast<int>(std::lround(image.rows * s)))};
    }
    cv::Mat out;
    cv::resize(image, out, target, 0, 0, interpolation_);
    return out;
  }

 private:
  cv::Size size_;
  bool keep_aspect_;
  int interpolation_;
};

}  // namespace

void register_geometric(sdk::Registrar& r) {
  r.add_augmentation<RandomResizedCrop>("random_resized_crop", "crop a random area/aspect, resize (Inception/SimCLR)");
  r.add_augmentation<Resize>("resize", "resize to a fixed size or shorter side");
  r.add_augmentation<CenterCrop>("center_crop", "crop the centre (zero padding if smaller)");
}

}  // namespace ssl::plugins::augmentation_core
