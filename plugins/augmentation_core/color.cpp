// Colour ops: color_jitter, grayscale, solarize.
//
// Defaults follow SimCLR (Chen et al. 2020) and BYOL (Grill et al. 2020): colour jitter with
// brightness 0.4, contrast 0.4, saturation 0.2, hue 0.1 applied with p 0.8, factors in random
// order; grayscale p 0.2; solarize threshold 128 (BYOL: p 0 / 0.2 on its two views).
// On 1-channel images colour jitter applies brightness and contrast only, and grayscale is a
// no-op. CV_32F input is taken to be on the [0, 1] scale (CV_8U on [0, 255]).
#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <array>
#include <cmath>

#include "image_util.h"
#include "ssl/sdk/augmentation.h"
#include "ssl/sdk/error.h"
#include "ssl/sdk/registrar.h"

namespace ssl::plugins::augmentation_core {

namespace {

// Clamps a CV_32F image to [0, 1] in place. A plain loop: cv::max/cv::min with a scalar
// first replicate the scalar byte by byte into a 4 KB block, which cost more than the clamp
// itself on 28x28 images (bench/augment_fmnist, perf).
void clamp01(cv::Mat& m) {
  const int values = m.cols * m.channels();
  for (int r = 0; r < m.rows; ++r) {
    float* p = m.ptr<float>(r);
    for (int i = 0; i < values; ++i) p[i] = std::min(1.0f, std::max(0.0f, p[i]));
  }
}

cv::Mat gray_of(const cv::Mat& rgb01) {
  if (rgb01.channels() == 1) return rgb01;
  cv::Mat gray;
  cv::cvtColor(rgb01, gray, cv::COLOR_RGB2GRAY);
  return gray;
}

double factor(double strength, sdk::Rng& rng) { return rng.uniform(std::max(0.0, 1.0 - strength), 1.0 + strength); }

// Factors as torchvision: brightness/contrast/saturation ~ U(max(0, 1-x), 1+x), hue ~ U(-h, h)
// (fraction of a full turn); contrast blends with the mean gray level, saturation with the
// per-pixel gray image; results are clamped to the valid range after each factor.
class ColorJitter final : public sdk::Augmentation {
 public:
  ColorJitter(const sdk::Config& c, const sdk::BuildContext&)
      : brightness_(c.get_float("brightness")), contrast_(c.get_float("contrast")),
        saturation_(c.get_float("saturation")), hue_(c.get_float("hue")), p_(c.get_float("p")) {
    SSL_CHECK(brightness_ >= 0 && contrast_ >= 0 && saturation_ >= 0 && hue_ >= 0 && hue_ <= 0.5, c.context(),
              ": jitter strengths must be >= 0 and hue <= 0.5");
  }
  static sdk::Schema schema();
  cv::Mat apply(const cv::Mat& image, sdk::Rng& rng) const override;

 private:
  double brightness_, contrast_, saturation_, hue_;
  double p_;
};

// RGB -> gray (ITU-R 601 luma) replicated to 3 equal channels, with probability p.
class Grayscale final : public sdk::Augmentation {
 public:
  Grayscale(const sdk::Config& c, const sdk::BuildContext&) : p_(c.get_float("p")) {}
  static sdk::Schema schema();
  cv::Mat apply(const cv::Mat& image, sdk::Rng& rng) const override;

 private:
  double p_;
};

// With probability p, every channel value >= threshold (0..255 scale) becomes max - value.
class Solarize final : public sdk::Augmentation {
 public:
  Solarize(const sdk::Config& c, const sdk::BuildContext&)
      : threshold_(c.get_float("threshold")), p_(c.get_float("p")) {}
  static sdk::Schema schema();
  cv::Mat apply(const cv::Mat& image, sdk::Rng& rng) const override;

 private:
  double threshold_, p_;
};

}  // namespace

cv::Mat ColorJitter::apply(const cv::Mat& image, sdk::Rng& rng) const {
  check_input(image, "color_jitter");
  if (!rng.bernoulli(p_)) return image;
  // Draw the order and all four factors up front (same number of draws for every image).
  std::array<int, 4> order{0, 1, 2, 3};
  for (int i = 3; i > 0; --i) std::swap(order[i], order[rng.randint(0, i + 1)]);
  const double b = factor(brightness_, rng), c = factor(contrast_, rng), s = factor(saturation_, rng),
               h = rng.uniform(-hue_, hue_);
  const bool color = image.channels() == 3;
  cv::Mat x = to_float01(image);
  for (int op : order) {
    if (op == 0 && brightness_ > 0) {
      x.convertTo(x, CV_32F, b);
      clamp01(x);
    } else if (op == 1 && contrast_ > 0) {
      const double mean = cv::mean(gray_of(x))[0];
      x.convertTo(x, CV_32F, c, (1.0 - c) * mean);  // beta applies to every channel
      clamp01(x);
    } else if (op == 2 && saturation_ > 0 && color) {
      cv::Mat gray3;
      cv::cvtColor(gray_of(x), gray3, cv::COLOR_GRAY2RGB);
      cv::addWeighted(x, s, gray3, 1.0 - s, 0.0, x);
      clamp01(x);
    } else if (op == 3 && hue_ > 0 && color) {
      cv::Mat hsv;
      cv::cvtColor(x, hsv, cv::COLOR_RGB2HSV);  // float: H in [0, 360)
      const float shift = static_cast<float>(h * 360.0);
      for (int r = 0; r < hsv.rows; ++r) {
        auto* px = hsv.ptr<cv::Vec3f>(r);
        for (int col = 0; col < hsv.cols; ++col) {
          float hue = px[col][0] + shift;
          hue -= 360.0f * std::floor(hue / 360.0f);
          px[col][0] = hue;
        }
      }
      cv::cvtColor(hsv, x, cv::COLOR_HSV2RGB);
      clamp01(x);
    }
  }
  return from_float01(x, image.depth());
}

cv::Mat Grayscale::apply(const cv::Mat& image, sdk::Rng& rng) const {
  check_input(image, "grayscale");
  if (!rng.bernoulli(p_) || image.channels() == 1) return image;
  cv::Mat gray, out;
  cv::cvtColor(image, gray, cv::COLOR_RGB2GRAY);
  cv::cvtColor(gray, out, cv::COLOR_GRAY2RGB);
  return out;
}

cv::Mat Solarize::apply(const cv::Mat& image, sdk::Rng& rng) const {
  check_input(image, "solarize");
  if (!rng.bernoulli(p_)) return image;
  cv::Mat out = image.clone();
  if (image.depth() == CV_8U) {
    cv::Mat lut(1, 256, CV_8U);
    for (int v = 0; v < 256; ++v) lut.at<uint8_t>(v) = static_cast<uint8_t>(v >= threshold_ ? 255 - v : v);
    cv::LUT(image, lut, out);
    return out;
  }
  const float t = static_cast<float>(threshold_ / 255.0);
  cv::Mat flat = out.reshape(1);
  for (int r = 0; r < flat.rows; ++r) {
    auto* px = flat.ptr<float>(r);
    for (int c = 0; c < flat.cols; ++c)
      if (px[c] >= t) px[c] = 1.0f - px[c];
  }
  return out;
}

sdk::Schema ColorJitter::schema() {
  sdk::Schema s;
  s.add_float("brightness", 0.4, "brightness factor ~ U(max(0, 1-x), 1+x) (SimCLR: 0.4)").min(0.0);
  s.add_float("contrast", 0.4, "contrast factor ~ U(max(0, 1-x), 1+x) (SimCLR: 0.4)").min(0.0);
  s.add_float("saturation", 0.2, "saturation factor ~ U(max(0, 1-x), 1+x) (BYOL: 0.2)").min(0.0);
  s.add_float("hue", 0.1, "hue shift ~ U(-x, x) of a full turn (SimCLR: 0.1)").range(0.0, 0.5);
  s.add_float("p", 0.8, "probability of applying the jitter at all (SimCLR: 0.8)").range(0.0, 1.0);
  return s;
}

sdk::Schema Grayscale::schema() {
  sdk::Schema s;
  s.add_float("p", 0.2, "probability (SimCLR: 0.2); keeps 3 channels").range(0.0, 1.0);
  return s;
}

sdk::Schema Solarize::schema() {
  sdk::Schema s;
  s.add_float("threshold", 128.0, "values >= threshold (0..255 scale) are inverted (BYOL: 128)").range(0.0, 256.0);
  s.add_float("p", 0.2, "probability (BYOL: 0.0 view 1, 0.2 view 2)").range(0.0, 1.0);
  return s;
}

void register_color(sdk::Registrar& r) {
  r.add_augmentation<ColorJitter>("color_jitter",
                                  "brightness/contrast/saturation/hue in random order, with probability p");
  r.add_augmentation<Grayscale>("grayscale", "RGB to gray, kept as 3 channels, with probability p");
  r.add_augmentation<Solarize>("solarize", "invert values above a threshold, with probability p");
}

}  // namespace ssl::plugins::augmentation_core
