#pragma once
// Deterministic restylings of whole images, a dataset's `style` key (dataset_view.h): they turn
// one dataset into another domain for domain-adaptation experiments when only one dataset is at
// hand (Fashion-MNIST: the source as it is, the target drawn as sketches).
#include <opencv2/core/mat.hpp>

#include <string>

namespace ssl::host {

enum class ImageStyle {
  None,
  // An edge sketch: the Sobel gradient magnitude of the (grey) image after a 3x3 Gaussian blur,
  // scaled so that the image's strongest edge is 1, inverted: dark strokes on white. Colour
  // images are converted to grey first and the strokes copied into every channel.
  Sketch,
  Inverted,  // 255 - x (1 - x for float images)
};

// "none" | "sketch" | "inverted"; anything else is an sdk::Error.
ImageStyle parse_image_style(const std::string& name);
// The restyled image, of the input's size, channel count and depth (CV_8U or CV_32F in [0, 1]).
cv::Mat apply_image_style(const cv::Mat& image, ImageStyle style);

}  // namespace ssl::host
