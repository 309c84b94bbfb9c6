#pragma once
// normalize: converts to CV_32F (x / 255 for CV_8U input, CV_32F taken as is) and maps each
// channel to (x - mean) / std. mean/std hold 1 entry (all channels) or one per channel.
// Defaults: ImageNet statistics (mean 0.485 0.456 0.406, std 0.229 0.224 0.225), as used by
// SimCLR/BYOL; Fashion-MNIST: mean 0.2860, std 0.3530. Put it last in a chain.
#include <memory>
#include <vector>

#include "ssl/sdk/augmentation.h"
#include "ssl/sdk/config.h"
#include "ssl/sdk/context.h"
#include "ssl/sdk/schema.h"

namespace ssl::plugins::augmentation_core {

class Normalize final : public sdk::Augmentation {
 public:
  Normalize(std::vector<double> mean, std::vector<double> std)
      : mean_(std::move(mean)), std_(std::move(std)) {}
  cv::Mat apply(const cv::Mat& image, sdk::Rng& rng) const override;

 private:
  std::vector<double> mean_, std_;
};

sdk::Schema normalize_schema();
std::shared_ptr<sdk::Augmentation> make_normalize(const sdk::Config& c, const sdk::BuildContext&);

}  // namespace ssl::plugins::augmentation_core
