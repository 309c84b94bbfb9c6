#include "report/images.h"

#include <ATen/ATen.h>
#include <fmt/core.h>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <boost/archive/iterators/base64_from_binary.hpp>
#include <boost/archive/iterators/binary_from_base64.hpp>
#include <boost/archive/iterators/transform_width.hpp>
#include <vector>

#include "report/svg_plot.h"
#include "ssl/sdk/error.h"

namespace ssl::host::report {

namespace it = boost::archive::iterators;

DisplayImage view_to_image(const at::Tensor& chw, double lo, double hi) {
  SSL_CHECK(chw.dim() == 3 && (chw.size(0) == 1 || chw.size(0) == 3), "a view to draw must be [1 or 3, H, W], got ",
            chw.sizes());
  at::Tensor x = chw.detach().to(at::kCPU, at::kFloat);
  DisplayImage out;
  const double own_lo = x.min().item<double>(), own_hi = x.max().item<double>();
  if (own_lo < 0.0 || own_hi > 1.0) {
    if (lo >= hi) lo = own_lo, hi = own_hi;
    out.rescaled = true;
    x = hi > lo ? ((x - lo) / (hi - lo)).clamp(0, 1) : at::zeros_like(x);
  }
  const at::Tensor bytes = x.mul(255.0).round_().clamp_(0, 255).to(at::kByte).permute({1, 2, 0}).contiguous();
  const int h = static_cast<int>(bytes.size(0)), w = static_cast<int>(bytes.size(1)), c = static_cast<int>(bytes.size(2));
  out.image = cv::Mat(h, w, CV_8UC(c), bytes.data_ptr<uint8_t>()).clone();
  return out;
}

cv::Mat thumbnail(const cv::Mat& image, int max_side) {
  cv::Mat img = image;
  if (img.depth() != CV_8U) img.convertTo(img, CV_8U, 255.0);
  const int side = std::max(img.rows, img.cols);
  if (side <= max_side || max_side <= 0) return img;
  const double f = double(max_side) / side;
  cv::Mat small;
  cv::resize(img, small, cv::Size(std::max(1, int(img.cols * f)), std::max(1, int(img.rows * f))), 0, 0, cv::INTER_AREA);
  return small;
}

std::string encode_png(const cv::Mat& image) {
  SSL_CHECK(image.depth() == CV_8U && (image.channels() == 1 || image.channels() == 3),
            "PNG needs an 8-bit image with 1 or 3 channels");
  cv::Mat bgr = image;
  if (image.channels() == 3) cv::cvtColor(image, bgr, cv::COLOR_RGB2BGR);
  std::vector<uchar> buf;
  SSL_CHECK(cv::imencode(".png", bgr, buf), "OpenCV could not encode a PNG");
  return std::string(buf.begin(), buf.end());
}

std::string png_data_uri(const cv::Mat& image) {
  const std::string png = encode_png(image);
  using Encoder = it::base64_from_binary<it::transform_width<std::string::const_iterator, 6, 8>>;
  std::string b64(Encoder(png.begin()), Encoder(png.end()));
  b64.append((3 - png.size() % 3) % 3, '=');
  return "data:image/png;base64," + b64;
}

std::string decode_data_uri(const std::string& uri) {
  std::string b64 = uri.substr(uri.find(',') == std::string::npos ? 0 : uri.find(',') + 1);
  while (!b64.empty() && b64.back() == '=') b64.pop_back();  // 6-bit groups; the partial last byte is dropped
  using Decoder = it::transform_width<it::binary_from_base64<std::string::const_iterator>, 8, 6>;
  return std::string(Decoder(b64.begin()), Decoder(b64.end()));
}

std::string img_tag(const std::string& data_uri, const cv::Mat& image, int scale, const std::string& title) {
  return fmt::format("<img src=\"{}\" width=\"{}\" height=\"{}\" alt=\"{}\" title=\"{}\">", data_uri, image.cols * scale,
                     image.rows * scale, xml_escape(title), xml_escape(title));
}

}  // namespace ssl::host::report
