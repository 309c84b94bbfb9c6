#pragma once
// Image files on disk, decoded with OpenCV, in one of three layouts:
//   "classes"  root/<class>/**/*.jpg  (ImageNet-style; classes sorted by folder name)
//   "flat"     root/**/*.jpg          (unlabelled)
//   "manifest" root is a text file, one `path[,label]` per line, paths relative to its folder;
//              '#' starts a comment, blank lines are ignored. Labels are integers or class
//              names (names are numbered in sorted order).
// get(i) returns HWC CV_8U RGB (3 channels) or grayscale (channels = 1).
// on_error = "fail": a file that cannot be decoded throws when read, naming it.
// on_error = "skip": every image is decoded once at construction; bad ones are dropped
// with one warning counting them, so get() always returns a sample.
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "ssl/sdk/config.h"
#include "ssl/sdk/context.h"
#include "ssl/sdk/dataset.h"
#include "ssl/sdk/schema.h"

namespace ssl::plugins::dataset_core {

struct ImageFolderOptions {
  std::filesystem::path root;
  std::string layout = "classes";  // "classes" | "flat" | "manifest"
  std::vector<std::string> extensions = {"jpg", "jpeg", "png", "bmp", "webp"};
  std::string on_error = "fail";   // "fail" | "skip"
  int channels = 3;                // 1 | 3
};

class ImageFolderDataset final : public sdk::Dataset {
 public:
  explicit ImageFolderDataset(ImageFolderOptions options);
  int64_t size() const override { return static_cast<int64_t>(paths_.size()); }
  sdk::Sample get(int64_t index) const override;
  sdk::DatasetInfo info() const override;
  std::vector<int64_t> labels() const override { return labels_; }

 private:
  void scan_classes();
  void scan_flat();
  void scan_manifest();
  void drop_undecodable();
  bool has_image_extension(const std::filesystem::path& p) const;
  std::vector<std::filesystem::path> images_under(const std::filesystem::path& folder) const;

  ImageFolderOptions options_;
  std::vector<std::filesystem::path> paths_;
  std::vector<int64_t> labels_;
  std::vector<std::string> class_names_;
  size_t missing_ = 0;               // manifest lines naming missing files (skip mode)
  int64_t height_ = 0, width_ = 0;  // known only when every image was decoded and all agree
};

// Decodes one file to HWC CV_8U RGB (channels 3) or gray (channels 1); empty Mat on failure.
cv::Mat decode_image(const std::filesystem::path& path, int channels);

sdk::Schema image_folder_schema();
std::shared_ptr<sdk::Dataset> make_image_folder(const sdk::Config& config,
                                                const sdk::BuildContext& ctx);

}  // namespace ssl::plugins::dataset_core
