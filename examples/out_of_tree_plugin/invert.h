#pragma once
// augmentation/invert: x -> 255 - x (8-bit) or 1 - x (float in [0, 1]), with probability p.
#include <memory>

#include "ssl/sdk/augmentation.h"
#include "ssl/sdk/config.h"
#include "ssl/sdk/context.h"
#include "ssl/sdk/schema.h"

namespace ssl::plugins::example_invert {

class Invert final : public sdk::Augmentation {
 public:
  explicit Invert(double p) : p_(p) {}
  cv::Mat apply(const cv::Mat& image, sdk::Rng& rng) const override;

 private:
  double p_;
};

sdk::Schema invert_schema();
std::shared_ptr<sdk::Augmentation> make_invert(const sdk::Config& config, const sdk::BuildContext& ctx);

}  // namespace ssl::plugins::example_invert
