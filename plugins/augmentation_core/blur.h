#pragma once
// gaussian_blur: sigma ~ U(sigma range) (SimCLR/BYOL: [0.1, 2.0] at 224 px; BYOL p 1.0 on view 1
// and 0.1 on view 2; SimCLR p 0.5; off at 32 px as in SimCLR's CIFAR setup). The kernel is
// kernel_size x kernel_size if set (odd), else 2 * ceil(3 sigma) + 1.
#include <memory>

#include "ssl/sdk/augmentation.h"
#include "ssl/sdk/config.h"
#include "ssl/sdk/context.h"
#include "ssl/sdk/schema.h"

namespace ssl::plugins::augmentation_core {

class GaussianBlur final : public sdk::Augmentation {
 public:
  GaussianBlur(double sigma_lo, double sigma_hi, int kernel_size, double p)
      : sigma_lo_(sigma_lo), sigma_hi_(sigma_hi), kernel_size_(kernel_size), p_(p) {}
  cv::Mat apply(const cv::Mat& image, sdk::Rng& rng) const override;
  // The kernel side used for `sigma`.
  int kernel_for(double sigma) const;

 private:
  double sigma_lo_, sigma_hi_;
  int kernel_size_;  // 0: derived from sigma
  double p_;
};

sdk::Schema gaussian_blur_schema();
std::shared_ptr<sdk::Augmentation> make_gaussian_blur(const sdk::Config& c, const sdk::BuildContext&);

}  // namespace ssl::plugins::augmentation_core
