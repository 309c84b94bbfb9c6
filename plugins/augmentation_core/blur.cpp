#include "blur.h"

#include <opencv2/imgproc.hpp>

#include <cmath>

#include "image_util.h"
#include "ssl/sdk/error.h"

namespace ssl::plugins::augmentation_core {

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

sdk::Schema gaussian_blur_schema() {
  sdk::Schema s;
  s.add_float_list("sigma", {0.1, 2.0}, "range of the blur's standard deviation in pixels (SimCLR: 0.1..2)")
      .size(2, 2).greater_than(0.0);
  s.add_int("kernel_size", 0, "odd kernel side; 0: 2 * ceil(3 sigma) + 1").min(0);
  s.add_float("p", 0.5, "probability (SimCLR: 0.5; BYOL: 1.0 / 0.1)").range(0.0, 1.0);
  return s;
}

std::shared_ptr<sdk::Augmentation> make_gaussian_blur(const sdk::Config& c, const sdk::BuildContext&) {
  const auto sigma = c.get_float_list("sigma");
  SSL_CHECK(sigma.size() == 2 && sigma[0] > 0 && sigma[0] <= sigma[1], c.context(),
            ": 'sigma' must be [min, max] with 0 < min <= max");
  const int64_t k = c.get_int("kernel_size");
  SSL_CHECK(k == 0 || k % 2 == 1, c.context(), ": 'kernel_size' must be odd (or 0), got ", k);
  return std::make_shared<GaussianBlur>(sigma[0], sigma[1], static_cast<int>(k), c.get_float("p"));
}

}  // namespace ssl::plugins::augmentation_core
