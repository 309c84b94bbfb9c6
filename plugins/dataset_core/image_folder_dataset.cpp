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
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "path_util.h"
#include "ssl/sdk/dataset.h"
#include "ssl/sdk/error.h"
#include "ssl/sdk/log.h"
#include "ssl/sdk/registrar.h"

namespace ssl::plugins::dataset_core {

namespace fs = std::filesystem;

namespace {

// The most classes integer manifest labels may index (labels 0 .. 99999; ImageNet-21k has 21841).
constexpr int64_t kMaxIntegerClasses = 100000;

std::string trim(const std::string& s) {
  const auto b = s.find_first_not_of(" \t\r\n");
  if (b == std::string::npos) return "";
  const auto e = s.find_last_not_of(" \t\r\n");
  return s.substr(b, e - b + 1);
}

bool parse_int(const std::string& s, int64_t& out) {
  if (s.empty()) return false;
  size_t pos = 0;
  try {
    out = std::stoll(s, &pos);
  } catch (const std::exception&) {
    return false;
  }
  return pos == s.size();
}

// Decodes one file to HWC CV_8U RGB (channels 3) or gray (channels 1); empty Mat on failure.
cv::Mat decode_image(const fs::path& path, int channels) {
  std::error_code ec;
  const auto bytes = fs::file_size(path, ec);
  if (ec || bytes == 0) return {};
  cv::Mat raw = cv::imread(path.string(), cv::IMREAD_UNCHANGED);
  if (raw.empty()) return {};
  if (raw.depth() != CV_8U) {  // 16-bit PNG/TIFF: scale to 8 bit
    cv::Mat scaled;
    raw.convertTo(scaled, CV_8U, raw.depth() == CV_16U ? 1.0 / 257.0 : 255.0);
    raw = scaled;
  }
  cv::Mat out;
  const int have = raw.channels();
  if (channels == 1) {
    if (have == 1) out = raw;
    else cv::cvtColor(raw, out, have == 4 ? cv::COLOR_BGRA2GRAY : cv::COLOR_BGR2GRAY);
  } else {
    if (have == 1) cv::cvtColor(raw, out, cv::COLOR_GRAY2RGB);
    else cv::cvtColor(raw, out, have == 4 ? cv::COLOR_BGRA2RGB : cv::COLOR_BGR2RGB);
  }
  return out;
}

class ImageFolderDataset final : public sdk::Dataset {
 public:
  ImageFolderDataset(const sdk::Config& config, const sdk::BuildContext& ctx);
  static sdk::Schema schema();
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

  std::filesystem::path root_;
  std::string layout_;                   // "classes" | "flat" | "manifest"
  std::vector<std::string> extensions_;  // lower case, without the dot
  std::string on_error_;                 // "fail" | "skip"
  int channels_;                         // 1 | 3
  std::vector<std::filesystem::path> paths_;
  std::vector<int64_t> labels_;
  std::vector<std::string> class_names_;
  size_t missing_ = 0;              // manifest lines naming missing files (skip mode)
  int64_t height_ = 0, width_ = 0;  // known only when every image was decoded and all agree
};

}  // namespace

ImageFolderDataset::ImageFolderDataset(const sdk::Config& config, const sdk::BuildContext& ctx)
    : root_(resolve_path(config.get_string("root"), ctx.base_dir)), layout_(config.get_string("layout")),
      extensions_(config.get_string_list("extensions")), on_error_(config.get_string("on_error")),
      channels_(static_cast<int>(config.get_int("channels"))) {
  SSL_CHECK(channels_ == 1 || channels_ == 3, config.context(), ": 'channels' must be 1 or 3, got ", channels_);
  for (auto& e : extensions_) {
    e = to_lower(e);
    if (!e.empty() && e[0] == '.') e.erase(0, 1);
  }
  if (layout_ == "classes") scan_classes();
  else if (layout_ == "flat") scan_flat();
  else if (layout_ == "manifest") scan_manifest();
  else SSL_FAIL("image_folder: unknown layout '", layout_, "'");
  if (on_error_ == "skip") drop_undecodable();
  SSL_CHECK(!paths_.empty(), "image_folder: no images found in ", root_.string(), " (layout ", layout_, ")");
}

bool ImageFolderDataset::has_image_extension(const fs::path& p) const {
  std::string ext = to_lower(p.extension().string());
  if (!ext.empty()) ext.erase(0, 1);
  return std::find(extensions_.begin(), extensions_.end(), ext) != extensions_.end();
}

std::vector<fs::path> ImageFolderDataset::images_under(const fs::path& folder) const {
  std::vector<fs::path> found;
  for (const auto& entry : fs::recursive_directory_iterator(folder, fs::directory_options::follow_directory_symlink)) {
    if (entry.is_regular_file() && has_image_extension(entry.path())) found.push_back(entry.path());
  }
  std::sort(found.begin(), found.end());
  return found;
}

void ImageFolderDataset::scan_classes() {
  SSL_CHECK(is_folder(root_), "image_folder: folder not found: ", root_.string());
  std::vector<fs::path> class_dirs;
  for (const auto& entry : fs::directory_iterator(root_))
    if (entry.is_directory()) class_dirs.push_back(entry.path());
  std::sort(class_dirs.begin(), class_dirs.end());
  SSL_CHECK(!class_dirs.empty(), "image_folder: no class sub-folders in ", root_.string(),
            " (use layout = \"flat\" for an unlabelled folder)");
  for (const auto& dir : class_dirs) {
    const auto images = images_under(dir);
    SSL_CHECK(!images.empty(), "image_folder: empty class folder ", dir.string(),
              " (no files with extensions in the 'extensions' list)");
    const auto label = static_cast<int64_t>(class_names_.size());
    class_names_.push_back(dir.filename().string());
    for (const auto& p : images) {
      paths_.push_back(p);
      labels_.push_back(label);
    }
  }
}

void ImageFolderDataset::scan_flat() {
  SSL_CHECK(is_folder(root_), "image_folder: folder not found: ", root_.string());
  paths_ = images_under(root_);
  labels_.assign(paths_.size(), -1);
}

void ImageFolderDataset::scan_manifest() {
  const fs::path& manifest = root_;
  SSL_CHECK(is_file(manifest), "image_folder: manifest file not found: ", manifest.string());
  std::ifstream in(manifest);
  SSL_CHECK(in.good(), "image_folder: cannot read manifest ", manifest.string());
  const fs::path folder = manifest.parent_path();
  std::vector<std::string> raw_labels;
  std::vector<int> lines;
  int line_no = 0;
  int missing = 0;
  for (std::string line; std::getline(in, line);) {
    ++line_no;
    const auto hash = line.find('#');
    if (hash != std::string::npos) line.erase(hash);
    line = trim(line);
    if (line.empty()) continue;
    const auto comma = line.rfind(',');
    const std::string rel = trim(comma == std::string::npos ? line : line.substr(0, comma));
    const std::string label = comma == std::string::npos ? "" : trim(line.substr(comma + 1));
    const fs::path p = fs::path(rel).is_absolute() ? fs::path(rel) : folder / rel;
    if (!is_file(p)) {
      SSL_CHECK(on_error_ == "skip", "image_folder: ", manifest.string(), ":", line_no, ": no such file ", p.string());
      ++missing;
      continue;
    }
    paths_.push_back(p);
    raw_labels.push_back(label);
    lines.push_back(line_no);
  }
  missing_ = missing;
  // Labels: all integers, all names (numbered in sorted order), or none.
  bool any = false, all_int = true;
  for (const auto& l : raw_labels) {
    int64_t v = 0;
    if (!l.empty()) any = true;
    if (!l.empty() && !parse_int(l, v)) all_int = false;
  }
  labels_.assign(paths_.size(), -1);
  if (!any) return;
  std::set<std::string> names;
  for (size_t i = 0; i < raw_labels.size(); ++i) {
    SSL_CHECK(!raw_labels[i].empty(), "image_folder: ", manifest.string(), ":", lines[i],
              ": missing label (other lines have one)");
    names.insert(raw_labels[i]);
  }
  if (all_int) {
    int64_t max_label = -1;
    for (size_t i = 0; i < raw_labels.size(); ++i) {
      parse_int(raw_labels[i], labels_[i]);
      SSL_CHECK(labels_[i] >= 0, "image_folder: ", manifest.string(), ":", lines[i], ": negative label ", labels_[i]);
      // Integer labels are class indices (0 .. max): a huge one would mean that many classes.
      SSL_CHECK(labels_[i] < kMaxIntegerClasses, "image_folder: ", manifest.string(), ":", lines[i], ": label ",
                labels_[i], " is above the largest class index ", kMaxIntegerClasses - 1,
                " (integer labels are class indices; name the classes instead for sparse ids)");
      max_label = std::max(max_label, labels_[i]);
    }
    for (int64_t c = 0; c <= max_label; ++c) class_names_.push_back(std::to_string(c));
  } else {
    std::map<std::string, int64_t> index;
    for (const auto& n : names) {
      index[n] = static_cast<int64_t>(class_names_.size());
      class_names_.push_back(n);
    }
    for (size_t i = 0; i < raw_labels.size(); ++i) labels_[i] = index[raw_labels[i]];
  }
}

void ImageFolderDataset::drop_undecodable() {
  std::vector<fs::path> kept_paths;
  std::vector<int64_t> kept_labels;
  size_t dropped = missing_;
  bool uniform = true;
  for (size_t i = 0; i < paths_.size(); ++i) {
    const cv::Mat image = decode_image(paths_[i], channels_);
    if (image.empty()) {
      ++dropped;
      continue;
    }
    if (kept_paths.empty()) {
      height_ = image.rows;
      width_ = image.cols;
    } else if (image.rows != height_ || image.cols != width_) {
      uniform = false;
    }
    kept_paths.push_back(paths_[i]);
    kept_labels.push_back(labels_[i]);
  }
  if (!uniform) height_ = width_ = 0;
  if (dropped > 0)
    sdk::log_warning("image_folder: skipped " + std::to_string(dropped) + " of " +
                     std::to_string(paths_.size() + missing_) + " image(s) in " + root_.string() +
                     " that are missing, empty, unreadable or corrupt");
  paths_ = std::move(kept_paths);
  labels_ = std::move(kept_labels);
}

sdk::Sample ImageFolderDataset::get(int64_t index) const {
  SSL_CHECK(index >= 0 && index < size(), "image_folder: index ", index, " out of range [0, ", size(), ")");
  const fs::path& path = paths_[static_cast<size_t>(index)];
  cv::Mat image = decode_image(path, channels_);
  if (image.empty()) {
    std::error_code ec;
    const bool exists = fs::exists(path, ec);
    const bool zero = exists && fs::file_size(path, ec) == 0 && !ec;
    SSL_FAIL("image_folder: cannot decode ", path.string(),
             !exists ? ": file is gone"
             : zero  ? ": zero-size file"
                     : ": unreadable or corrupt image",
             " (on_error = \"skip\" drops such files at construction)");
  }
  return {image, labels_[static_cast<size_t>(index)]};
}

sdk::DatasetInfo ImageFolderDataset::info() const {
  sdk::DatasetInfo info;
  info.channels = channels_;
  info.height = height_;
  info.width = width_;
  info.num_classes = static_cast<int64_t>(class_names_.size());
  info.class_names = class_names_;
  return info;
}

sdk::Schema ImageFolderDataset::schema() {
  sdk::Schema s;
  s.add_required("root", sdk::ValueType::String, "image folder, or the manifest file for layout \"manifest\"");
  s.add_string("layout", "classes", "classes: one sub-folder per class; flat: unlabelled; manifest")
      .choices({"classes", "flat", "manifest"});
  s.add_string_list("extensions", {"jpg", "jpeg", "png", "bmp", "webp"},
                    "file extensions to pick up (case-insensitive)")
      .size(1, -1);
  s.add_string("on_error", "fail", "undecodable image: fail when read, or skip (checked up front)")
      .choices({"fail", "skip"});
  s.add_int("channels", 3, "1: grayscale, 3: RGB (grayscale files are expanded)").range(1, 3);
  return s;
}

void register_image_folder(sdk::Registrar& r) {
  r.add_dataset<ImageFolderDataset>("image_folder", "image files: class folders, flat folder or manifest");
}

}  // namespace ssl::plugins::dataset_core
