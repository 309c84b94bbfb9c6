#pragma once
// Pictures for the HTML pages: tensors and decoded samples to 8-bit images, PNG (OpenCV's
// imgcodecs) as inline data URIs, so a page stays one self-contained file.
#include <ATen/core/Tensor.h>
#include <opencv2/core/mat.hpp>

#include <string>

namespace ssl::host::report {

struct DisplayImage {
  cv::Mat image;          // HWC CV_8U, 1 or 3 channels (RGB order)
  bool rescaled = false;  // values were outside [0, 1] (e.g. after normalize): min-max stretched
};

// One view as the loader made it, [C, H, W] float: values in [0, 1] become round(x * 255), so
// a CV_8U image that went through no op comes back byte for byte; anything else (normalised
// views) is stretched from `lo`..`hi` to 0..255 and flagged. Without a range (lo >= hi) the
// view's own min..max is used; the preview passes one range for all its views, so that views
// keep their brightness relative to each other (a normalize op is the same affine map on all).
DisplayImage view_to_image(const at::Tensor& chw, double lo = 0.0, double hi = 0.0);

// A decoded sample (HWC, CV_8U or CV_32F in [0, 1]) as CV_8U, shrunk with area averaging so
// its longer side is at most `max_side` pixels (smaller images are kept as they are).
cv::Mat thumbnail(const cv::Mat& image, int max_side);

// PNG bytes of a CV_8U image with 1 or 3 channels (RGB order; converted to OpenCV's BGR).
std::string encode_png(const cv::Mat& image);
// "data:image/png;base64,..." of encode_png.
std::string png_data_uri(const cv::Mat& image);
// The inverse for tests and readers of the pages: a data URI (or bare base64) to PNG bytes.
std::string decode_data_uri(const std::string& uri);

// <img> of a data URI, drawn `scale` times its pixel size without smoothing.
std::string img_tag(const std::string& data_uri, const cv::Mat& image, int scale, const std::string& title);

}  // namespace ssl::host::report
