// gaussian_blur: sigma ~ U(sigma range) (SimCLR/BYOL: [0.1, 2.0] at 224 px; BYOL p 1.0 on view 1
// and 0.1 on view 2; SimCLR p 0.5; off at 32 px as in SimCLR's CIFAR setup). The kernel is
// kernel_size x kernel_size if set (odd), else 2 * ceil(3 sigma) + 1.
#include <opencv2/imgproc.hpp>

#include <cmath>

#include "image_util.h"
#include "ssl/sdk/augmentation.h"
#include "ssl/sdk/error.h"
#include "ssl/sdk/registrar.h"

namespace ssl::plugins::augmentation_core {
namespace {

class GaussianBlur final : public sdk::Augmentation {
 public:
  GaussianBlur(const sdk::Config& c, const sdk::BuildContext&)
      : kernel_size_(static_cast<int>(c.get_int("kernel_size"))), p_(c.get_float("p")) {
    const auto sigma = c.get_float_list("sigma");
    SSL_CHECK(sigma.size() == 2 && sigma[0] > 0 && sigma[0] <= sigma[1], c.context(),
              ": 'sigma' must be [min, max] with 0 < min <= max");
    SSL_CHECK(kernel_size_ == 0 || kernel_size_ % 2 == 1, c.context(), ": 'kernel_size' must be odd (or 0), got ",
              kernel_size_);
    sigma_lo_ = sigma[0];
    sigma_hi_ = sigma[1];
  }
  static sdk::Schema schema();
  cv::Mat apply(const cv::Mat& image, sdk::Rng& rng) const override;
  // The kernel side used for `sigma`.
  int kernel_for(double sigma) const;

 private:
  double sigma_lo_ = 0.0, sigma_hi_ = 0.0;
  int kernel_size_;  // 0: derived from sigma
  double p_;
};

}  // namespace

int GaussianBlur::kernel_for(double sigma) const {
  if (kernel_size_ > 0) return kernel_size_;
  return 2 * static_cast<int>(std::ceil(3.0 * sigma)) + 1;
}

cv::Mat GaussianBlur::apply(const cv::Mat& image, sdk::Rng& rng) const {
  check_input(image, "gaussian_blur");
  if (!rng.bernoulli(p_)) return image;
  const double sigma = rng.uniform(sigma_lo_, sigma_hi_);
  const int k = kernel_for(sigma);
  cv::Mat out;
  cv::GaussianBlur(image, out, cv::Size(k, k), sigma, sigma, cv::BORDER_REFLECT_101);
  return out;
}

sdk::Schema GaussianBlur::schema() {
  sdk::Schema s;
  s.add_float_list("sigma", {0.1, 2.0}, "range of the blur's standard deviation in pixels (SimCLR: 0.1..2)")
      .size(2, 2)
      .greater_than(0.0);
  s.add_int("kernel_size", 0, "odd kernel side; 0: 2 * ceil(3 sigma) + 1").min(0);
  s.add_float("p", 0.5, "probability (SimCLR: 0.5; BYOL: 1.0 / 0.1)").range(0.0, 1.0);
  return s;
}

void register_blur(sdk::Registrar& r) {
  r.add_augmentation<GaussianBlur>("gaussian_blur", "Gaussian blur with random sigma, with probability p");
}

}  // namespace ssl::plugins::augmentation_core
