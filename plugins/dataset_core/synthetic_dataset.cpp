// Seeded procedural images with labels, for smoke tests and tiny end-to-end runs.
//
// The class fixes a shape (circle, square, triangle, stripes, checker, ring, cross, star,
// half-disc, dot grid; cycling for more than 10 classes, with an outline variant) and a hue;
// each sample draws position, scale, rotation, exact colour, a textured background and pixel
// noise. Shapes are told apart by geometry alone, so 1-channel images stay learnable, and
// colour jitter cannot erase the class. get(i) depends only on (seed, i) and is generated on
// the fly: HWC CV_8U, image_size x image_size x channels (RGB).
#include <opencv2/core.hpp>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "ssl/sdk/dataset.h"
#include "ssl/sdk/error.h"
#include "ssl/sdk/registrar.h"
#include "ssl/sdk/rng.h"

namespace ssl::plugins::dataset_core {

namespace {

constexpr double kPi = 3.14159265358979323846;

// Whether the point (u, v) of the unit shape's frame (shape spans about [-1, 1]^2) is inside.
bool inside(int shape, bool outline, double u, double v) {
  const double r = std::sqrt(u * u + v * v);
  bool in = false;
  switch (shape) {
    case 0: in = r <= 1.0; break;                                  // circle
    case 1: in = std::abs(u) <= 0.8 && std::abs(v) <= 0.8; break;  // square
    case 2:                                                        // triangle
      in = v <= 0.5 && v >= -1.0 + 1.7320508 * std::abs(u);
      break;
    case 3:  // stripes patch
      in = std::abs(u) <= 0.9 && std::abs(v) <= 0.9 && static_cast<int>(std::floor((u + 0.9) * 2.8)) % 2 == 0;
      break;
    case 4:  // checker patch
      in = std::abs(u) <= 0.9 && std::abs(v) <= 0.9 &&
           (static_cast<int>(std::floor((u + 0.9) * 2.2)) + static_cast<int>(std::floor((v + 0.9) * 2.2))) % 2 == 0;
      break;
    case 5: in = r <= 1.0 && r >= 0.55; break;  // ring
    case 6:                                     // cross
      in = (std::abs(u) <= 0.3 && std::abs(v) <= 1.0) || (std::abs(v) <= 0.3 && std::abs(u) <= 1.0);
      break;
    case 7: in = r <= 0.5 + 0.5 * std::cos(5.0 * std::atan2(v, u)); break;  // five-point star
    case 8: in = r <= 1.0 && v >= 0.0; break;                               // half disc
    default: {                                                              // 3x3 dot grid
      const double gu = u - 0.65 * std::round(u / 0.65), gv = v - 0.65 * std::round(v / 0.65);
      in = std::abs(u) <= 0.95 && std::abs(v) <= 0.95 && gu * gu + gv * gv <= 0.045;
    }
  }
  if (!outline || !in) return in;
  // Outline variant: keep only the rim (points whose shrunken copy falls outside).
  return !inside(shape, false, u * 1.35, v * 1.35);
}

// HSV in [0, 1] to RGB in [0, 1].
std::array<double, 3> hsv_to_rgb(double h, double s, double v) {
  h = (h - std::floor(h)) * 6.0;
  const int k = static_cast<int>(h) % 6;
  const double f = h - std::floor(h);
  const double p = v * (1 - s), q = v * (1 - s * f), t = v * (1 - s * (1 - f));
  switch (k) {
    case 0: return {v, t, p};
    case 1: return {q, v, p};
    case 2: return {p, v, t};
    case 3: return {p, q, v};
    case 4: return {t, p, v};
    default: return {v, p, q};
  }
}

class SyntheticDataset final : public sdk::Dataset {
 public:
  static constexpr int kNumShapes = 10;

  SyntheticDataset(const sdk::Config& config, const sdk::BuildContext& ctx);
  static sdk::Schema schema();
  int64_t size() const override { return num_samples_; }
  sdk::Sample get(int64_t index) const override;
  sdk::DatasetInfo info() const override;
  std::vector<int64_t> labels() const override;
  // Class of sample `index`: index mod num_classes (balanced, no decoding needed).
  int64_t label_of(int64_t index) const { return index % num_classes_; }

 private:
  int64_t num_samples_, image_size_, channels_, num_classes_;
  uint64_t seed_;
};

}  // namespace

SyntheticDataset::SyntheticDataset(const sdk::Config& config, const sdk::BuildContext&)
    : num_samples_(config.get_int("num_samples")), image_size_(config.get_int("image_size")),
      channels_(config.get_int("channels")), num_classes_(config.get_int("num_classes")),
      seed_(static_cast<uint64_t>(config.get_int("seed"))) {
  SSL_CHECK(num_samples_ > 0, "synthetic: num_samples must be > 0, got ", num_samples_);
  SSL_CHECK(image_size_ >= 8, "synthetic: image_size must be >= 8, got ", image_size_);
  SSL_CHECK(channels_ == 1 || channels_ == 3, "synthetic: channels must be 1 or 3, got ", channels_);
  SSL_CHECK(num_classes_ >= 1, "synthetic: num_classes must be >= 1, got ", num_classes_);
}

sdk::Sample SyntheticDataset::get(int64_t index) const {
  SSL_CHECK(index >= 0 && index < size(), "synthetic: index ", index, " out of range [0, ", size(), ")");
  sdk::Rng rng = sdk::Rng::for_sample(seed_, 0x5eed, static_cast<uint64_t>(index), 0);
  const int64_t label = label_of(index);
  const int shape = static_cast<int>(label % kNumShapes);
  const bool outline = (label / kNumShapes) % 2 == 1;
  // Hues 0.3 turns apart cycle through ten evenly spaced values; later blocks of ten shift by 0.05.
  const double class_hue =
      std::fmod(0.3 * static_cast<double>(label % 10) + 0.05 * static_cast<double>(label / 10), 1.0);

  const int n = static_cast<int>(image_size_);
  const double radius = rng.uniform(0.25, 0.42) * n;
  const double cx = rng.uniform(radius * 0.8, n - radius * 0.8);
  const double cy = rng.uniform(radius * 0.8, n - radius * 0.8);
  const double angle = rng.uniform(0.0, 2.0 * kPi);
  const double cos_a = std::cos(angle), sin_a = std::sin(angle);
  const auto fg = hsv_to_rgb(class_hue + rng.uniform(-0.04, 0.04), rng.uniform(0.55, 1.0), rng.uniform(0.65, 1.0));
  const auto bg = hsv_to_rgb(rng.uniform(), rng.uniform(0.0, 0.5), rng.uniform(0.05, 0.35));
  // Background texture: two random low-frequency waves.
  std::array<double, 2> fx{}, fy{}, phase{};
  for (int k = 0; k < 2; ++k) {
    const double theta = rng.uniform(0.0, 2.0 * kPi), freq = rng.uniform(0.5, 3.0) * 2.0 * kPi / n;
    fx[k] = freq * std::cos(theta);
    fy[k] = freq * std::sin(theta);
    phase[k] = rng.uniform(0.0, 2.0 * kPi);
  }
  const double texture = rng.uniform(0.02, 0.08), noise = rng.uniform(0.01, 0.04);

  cv::Mat rgb(n, n, CV_8UC3);
  constexpr double kOffsets[2] = {0.25, 0.75};  // 2x2 supersampling for anti-aliased edges
  for (int y = 0; y < n; ++y) {
    auto* row = rgb.ptr<cv::Vec3b>(y);
    for (int x = 0; x < n; ++x) {
      double cover = 0.0;
      for (double oy : kOffsets)
        for (double ox : kOffsets) {
          const double dx = (x + ox - cx) / radius, dy = (y + oy - cy) / radius;
          const double u = cos_a * dx + sin_a * dy, v = -sin_a * dx + cos_a * dy;
          cover += inside(shape, outline, u, v) ? 0.25 : 0.0;
        }
      const double wave =
          texture * (std::sin(fx[0] * x + fy[0] * y + phase[0]) + std::sin(fx[1] * x + fy[1] * y + phase[1]));
      const double grain = noise * rng.normal();
      for (int c = 0; c < 3; ++c) {
        const double value = cover * fg[c] + (1.0 - cover) * (bg[c] + wave) + grain;
        row[x][c] = cv::saturate_cast<uint8_t>(255.0 * value);
      }
    }
  }
  if (channels_ == 3) return {rgb, label};
  cv::Mat gray(n, n, CV_8UC1);
  for (int y = 0; y < n; ++y) {
    const auto* src = rgb.ptr<cv::Vec3b>(y);
    auto* dst = gray.ptr<uint8_t>(y);
    for (int x = 0; x < n; ++x)
      dst[x] = cv::saturate_cast<uint8_t>(0.299 * src[x][0] + 0.587 * src[x][1] + 0.114 * src[x][2]);
  }
  return {gray, label};
}

std::vector<int64_t> SyntheticDataset::labels() const {
  std::vector<int64_t> out(static_cast<size_t>(size()));
  for (int64_t i = 0; i < size(); ++i) out[static_cast<size_t>(i)] = label_of(i);
  return out;
}

sdk::DatasetInfo SyntheticDataset::info() const {
  static const char* kShapeNames[kNumShapes] = {"circle", "square", "triangle", "stripes",   "checker",
                                                "ring",   "cross",  "star",     "half-disc", "dots"};
  sdk::DatasetInfo info;
  info.channels = channels_;
  info.height = info.width = image_size_;
  info.num_classes = num_classes_;
  for (int64_t c = 0; c < num_classes_; ++c) {
    std::string name = kShapeNames[c % kNumShapes];
    if (c >= kNumShapes) name += "-" + std::to_string(c / kNumShapes);
    info.class_names.push_back(name);
  }
  return info;
}

sdk::Schema SyntheticDataset::schema() {
  sdk::Schema s;
  s.add_int("num_samples", 1024, "number of samples").min(1);
  s.add_int("image_size", 32, "image side in pixels").range(8, 4096);
  s.add_int("channels", 3, "1 (gray) or 3 (RGB)").range(1, 3);
  s.add_int("num_classes", 10, "number of classes (shape x colour x outline)").range(1, 1000);
  s.add_int("seed", 0, "generator seed; get(i) depends on (seed, i) only").min(0);
  return s;
}

void register_synthetic(sdk::Registrar& r) {
  r.add_dataset<SyntheticDataset>("synthetic", "seeded procedural shapes, one shape and hue per class");
}

}  // namespace ssl::plugins::dataset_core
