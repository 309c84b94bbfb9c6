#include "invert.h"

#include <opencv2/core.hpp>

namespace ssl::plugins::example_invert {

cv::Mat Invert::apply(const cv::Mat& image, sdk::Rng& rng) const {
  if (!rng.bernoulli(p_)) return image;
  cv::Mat out;
  const double top = image.depth() == CV_8U ? 255.0 : 1.0;
  image.convertTo(out, image.type(), -1.0, top);
  return out;
}

sdk::Schema invert_schema() {
  sdk::Schema s;
  s.add_float("p", 0.5, "probability of inverting the image").range(0, 1);
  return s;
}

std::shared_ptr<sdk::Augmentation> make_invert(const sdk::Config& config, const sdk::BuildContext&) {
  return std::make_shared<Invert>(config.get_float("p"));
}

}  // namespace ssl::plugins::example_invert
