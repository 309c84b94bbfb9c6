#include "image_util.h"

#include <opencv2/imgproc.hpp>

#include "ssl/sdk/error.h"

namespace ssl::plugins::augmentation_core {

int parse_interpolation(const std::string& name) {
  if (name == "nearest") return cv::INTER_NEAREST;
  if (name == "bilinear") return cv::INTER_LINEAR;
  if (name == "bicubic") return cv::INTER_CUBIC;
  if (name == "area") return cv::INTER_AREA;
  SSL_FAIL("unknown interpolation '", name, "' (nearest, bilinear, bicubic, area)");
}

const std::vector<std::string>& interpolation_choices() {
  static const std::vector<std::string> kChoices = {"bicubic", "bilinear", "nearest", "area"};
  return kChoices;
}

void check_input(const cv::Mat& image, const char* op) {
  SSL_CHECK(!image.empty(), op, ": empty image");
  SSL_CHECK(image.depth() == CV_8U || image.depth() == CV_32F, op,
            ": expected a CV_8U or CV_32F image, got depth ", image.depth());
  SSL_CHECK(image.channels() == 1 || image.channels() == 3, op,
            ": expected 1 or 3 channels, got ", image.channels());
}

double scale_of(const cv::Mat& image) { return image.depth() == CV_8U ? 255.0 : 1.0; }

cv::Mat to_float01(const cv::Mat& image) {
  cv::Mat out;
  image.convertTo(out, CV_32F, 1.0 / scale_of(image));
  return out;
}

cv::Mat from_float01(const cv::Mat& image01, int depth) {
  cv::Mat out;
  if (depth == CV_8U) image01.convertTo(out, CV_8U, 255.0);  // rounds and saturates
  else out = image01;
  return out;
}

cv::Size size_from(const sdk::Config& config) {
  const int h = static_cast<int>(config.get_int("size"));
  const int w = static_cast<int>(config.get_int("width"));
  return {w > 0 ? w : h, h};
}

void add_size_keys(sdk::Schema& s, int64_t default_size) {
  if (default_size > 0) s.add_int("size", default_size, "output height (and width unless 'width' is set)").min(1);
  else s.add_required("size", sdk::ValueType::Int, "output height (and width unless 'width' is set)");
  s.add_int("width", 0, "output width; 0: same as size (square)").min(0);
}

}  // namespace ssl::plugins::augmentation_core
