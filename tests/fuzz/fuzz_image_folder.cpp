// libFuzzer target: the image-folder scanner and decoder (`image_folder` dataset).
// Input: [mode byte][u16 length][manifest text][image bytes].
//   mode bit 0: layout "manifest" (else "classes"); bit 1: channels 1 (else 3);
//   bit 2: on_error "skip" (else "fail"); bits 3-5: the image's extension.
// The folder also holds two valid PNGs (a.png in class folder "a", b.png in "b") that a
// manifest can name; in "classes" layout the fuzzed image is c/img.<ext>.
#include <opencv2/imgcodecs.hpp>

#include "datasets.h"

namespace {
const char* const kExtensions[] = {"png", "jpg", "jpeg", "bmp", "webp", "PNG", "gif", "txt"};

const std::filesystem::path& folder() {
  static const std::filesystem::path dir = [] {
    const auto& d = ssl::fuzz::scratch("image_folder");
    std::vector<uchar> png;
    cv::imencode(".png", cv::Mat(4, 5, CV_8UC3, cv::Scalar(10, 20, 30)), png);
    ssl::fuzz::write_bytes(d / "a" / "a.png", png.data(), png.size());
    cv::imencode(".png", cv::Mat(4, 5, CV_8UC1, cv::Scalar(200)), png);
    ssl::fuzz::write_bytes(d / "b" / "b.png", png.data(), png.size());
    return d;
  }();
  return dir;
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const auto& dir = folder();
  const uint8_t mode = data[0];
  const ssl::fuzz::TwoParts parts = ssl::fuzz::split_two(data + 1, size - 1);
  std::error_code ec;
  std::filesystem::remove_all(dir / "c", ec);
  const bool manifest = (mode & 1) != 0;
  const std::string image = std::string("img.") + kExtensions[(mode >> 3) & 7];
  ssl::fuzz::write_text(dir / "c" / image, parts.second);
  ssl::fuzz::write_text(dir / "manifest.txt", parts.first);
  ssl::fuzz::build_and_read("image_folder",
                            {{"root", (manifest ? dir / "manifest.txt" : dir).string()},
                             {"layout", std::string(manifest ? "manifest" : "classes")},
                             {"channels", int64_t{(mode & 2) != 0 ? 1 : 3}},
                             {"on_error", std::string((mode & 4) != 0 ? "skip" : "fail")}});
  return 0;
}
