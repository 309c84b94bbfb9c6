#include "image_style.h"

#include <opencv2/imgproc.hpp>

#include <vector>

#include "ssl/sdk/error.h"

namespace ssl::host {

ImageStyle parse_image_style(const std::string& name) {
  if (name == "none") return ImageStyle::None;
  if (name == "sketch") return ImageStyle::Sketch;
  if (name == "inverted") return ImageStyle::Inverted;
  SSL_FAIL("unknown image style '", name, "' (none, sketch, inverted)");
}

namespace {

cv::Mat sketch(const cv::Mat& image) {
  const bool byte = image.depth() == CV_8U;
  SSL_CHECK(byte || image.depth() == CV_32F, "style sketch: images must be 8-bit or float, got depth ", image.depth());
  cv::Mat grey;
  if (image.channels() == 1) grey = image;
  else if (image.channels() == 3) cv::cvtColor(image, grey, cv::COLOR_BGR2GRAY);
  else SSL_FAIL("style sketch: images must have 1 or 3 channels, got ", image.channels());
  cv::Mat f;
  grey.convertTo(f, CV_32F, byte ? 1.0 / 255.0 : 1.0);
  cv::GaussianBlur(f, f, cv::Size(3, 3), 0.0, 0.0, cv::BORDER_REPLICATE);
  cv::Mat dx, dy, magnitude;
  cv::Sobel(f, dx, CV_32F, 1, 0, 3, 1.0, 0.0, cv::BORDER_REPLICATE);
  cv::Sobel(f, dy, CV_32F, 0, 1, 3, 1.0, 0.0, cv::BORDER_REPLICATE);
  cv::magnitude(dx, dy, magnitude);
  double strongest = 0;
  cv::minMaxLoc(magnitude, nullptr, &strongest);
  cv::Mat strokes(magnitude.size(), CV_32F, cv::Scalar(1.0));  // a flat image: no stroke
  if (strongest > 0) strokes = 1.0 - magnitude / strongest;
  cv::Mat out;
  strokes.convertTo(out, byte ? CV_8U : CV_32F, byte ? 255.0 : 1.0);
  if (image.channels() == 3) cv::merge(std::vector<cv::Mat>{out, out, out}, out);
  return out;
}

}  // namespace

cv::Mat apply_image_style(const cv::Mat& image, ImageStyle style) {
  switch (style) {
    case ImageStyle::None: return image;
    case ImageStyle::Sketch: return sketch(image);
    case ImageStyle::Inverted: {
      SSL_CHECK(image.depth() == CV_8U || image.depth() == CV_32F, "style inverted: images must be 8-bit or float");
      cv::Mat out;
      if (image.depth() == CV_8U) cv::bitwise_not(image, out);
      else cv::subtract(cv::Scalar::all(1.0), image, out);
      return out;
    }
  }
  return image;
}

}  // namespace ssl::host
