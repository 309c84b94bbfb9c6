#pragma once
// Helpers shared by the augmentation_core ops (not part of the SDK contract).
//
// Pixel scale convention: CV_8U images live in [0, 255], CV_32F images in [0, 1] (what the
// host makes of them: CV_8U / 255, CV_32F as is). Ops that clamp or threshold use this scale;
// `normalize` leaves it, so it belongs at the end of a chain.
#include <opencv2/core/mat.hpp>

#include <string>
#include <vector>

#include "ssl/sdk/config.h"
#include "ssl/sdk/schema.h"

namespace ssl::plugins::augmentation_core {

// cv::InterpolationFlags for "nearest" | "bilinear" | "bicubic" | "area".
int parse_interpolation(const std::string& name);
const std::vector<std::string>& interpolation_choices();

// Throws sdk::Error naming `op` unless `image` is non-empty CV_8U/CV_32F with 1 or 3 channels.
void check_input(const cv::Mat& image, const char* op);

// The largest pixel value of the depth's scale: 255 for CV_8U, 1 for CV_32F.
double scale_of(const cv::Mat& image);

// 3-channel float copy in [0, 1] and back to `depth` (CV_8U: x 255, rounded, saturated).
cv::Mat to_float01(const cv::Mat& image);
cv::Mat from_float01(const cv::Mat& image01, int depth);

// Output size (width x height) from the keys `size` and `width` (0: square).
cv::Size size_from(const sdk::Config& config);
// Adds `size` (required or with a default) and `width` keys.
void add_size_keys(sdk::Schema& s, int64_t default_size);

}  // namespace ssl::plugins::augmentation_core
