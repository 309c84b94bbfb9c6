// normalize: converts to CV_32F (x / 255 for CV_8U input, CV_32F taken as is) and maps each
// channel to (x - mean) / std. mean/std hold 1 entry (all channels) or one per channel.
// Defaults: ImageNet statistics (mean 0.485 0.456 0.406, std 0.229 0.224 0.225), as used by
// SimCLR/BYOL; Fashion-MNIST: mean 0.2860, std 0.3530. Put it last in a chain.
#include <opencv2/core.hpp>

#include <vector>

#include "image_util.h"
#include "ssl/sdk/augmentation.h"
#include "ssl/sdk/error.h"
#include "ssl/sdk/registrar.h"

namespace ssl::plugins::augmentation_core {
namespace {

class Normalize final : public sdk::Augmentation {
 public:
  Normalize(const sdk::Config& c, const sdk::BuildContext&)
      : mean_(c.get_float_list("mean")), std_(c.get_float_list("std")) {
    SSL_CHECK(!mean_.empty() && !std_.empty(), c.context(), ": 'mean' and 'std' need 1 or C entries");
    for (double s : std_) SSL_CHECK(s > 0, c.context(), ": 'std' entries must be > 0, got ", s);
  }
  static sdk::Schema schema();
  cv::Mat apply(const cv::Mat& image, sdk::Rng& rng) const override;

 private:
  std::vector<double> mean_, std_;
};

}  // namespace

cv::Mat Normalize::apply(const cv::Mat& image, sdk::Rng&) const {
  check_input(image, "normalize");
  const int channels = image.channels();
  for (const auto* list : {&mean_, &std_})
    SSL_CHECK(list->size() == 1 || static_cast<int>(list->size()) == channels,
              "normalize: ", list == &mean_ ? "mean" : "std", " has ", list->size(), " entries for a ", channels,
              "-channel image (need 1 or ", channels, ")");
  // One pass: out = (x * unit - mean[c]) / std[c], unit = 1/255 for CV_8U, 1 for CV_32F.
  std::vector<float> offset(static_cast<size_t>(channels)), gain(static_cast<size_t>(channels));
  const double unit = 1.0 / scale_of(image);
  for (int c = 0; c < channels; ++c) {
    const double m = mean_.size() == 1 ? mean_[0] : mean_[static_cast<size_t>(c)];
    const double s = std_.size() == 1 ? std_[0] : std_[static_cast<size_t>(c)];
    gain[static_cast<size_t>(c)] = static_cast<float>(unit / s);
    offset[static_cast<size_t>(c)] = static_cast<float>(-m / s);
  }
  cv::Mat out(image.size(), CV_MAKETYPE(CV_32F, channels));
  auto run = [&](auto tag) {
    using T = decltype(tag);
    for (int r = 0; r < image.rows; ++r) {
      const T* src = image.ptr<T>(r);
      float* dst = out.ptr<float>(r);
      if (channels == 1) {  // the common grey case as a loop the compiler vectorises
        const float g = gain[0], o = offset[0];
        for (int x = 0; x < image.cols; ++x) dst[x] = static_cast<float>(src[x]) * g + o;
        continue;
      }
      for (int x = 0; x < image.cols; ++x, src += channels, dst += channels)
        for (int c = 0; c < channels; ++c)
          dst[c] = static_cast<float>(src[c]) * gain[static_cast<size_t>(c)] + offset[static_cast<size_t>(c)];
    }
  };
  if (image.depth() == CV_8U) run(uint8_t{});
  else run(float{});
  return out;
}

sdk::Schema Normalize::schema() {
  sdk::Schema s;
  s.add_float_list("mean", {0.485, 0.456, 0.406}, "per-channel mean on the [0, 1] scale (ImageNet)").size(1, 3);
  s.add_float_list("std", {0.229, 0.224, 0.225}, "per-channel std on the [0, 1] scale (ImageNet)")
      .size(1, 3)
      .greater_than(0.0);
  return s;
}

void register_normalize(sdk::Registrar& r) {
  r.add_augmentation<Normalize>("normalize", "to float, (x/255 - mean) / std per channel");
}

}  // namespace ssl::plugins::augmentation_core
