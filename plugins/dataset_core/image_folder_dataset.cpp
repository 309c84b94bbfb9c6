#include "image_folder_dataset.h"

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <fstream>
#include <map>
#include <set>

#include "path_util.h"
#include "ssl/sdk/error.h"
#include "ssl/sdk/log.h"

namespace ssl::plugins::dataset_core {

namespace fs = std::filesystem;

namespace {

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

}  // namespace

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

ImageFolderDataset::ImageFolderDataset(ImageFolderOptions options) : options_(std::move(options)) {
  for (auto& e : options_.extensions) {
    e = to_lower(e);
    if (!e.empty() && e[0] == '.') e.erase(0, 1);
  }
  if (options_.layout == "classes") scan_classes();
  else if (options_.layout == "flat") scan_flat();
  else if (options_.layout == "manifest") scan_manifest();
  else SSL_FAIL("image_folder: unknown layout '", options_.layout, "'");
  if (options_.on_error == "skip") drop_undecodable();
  SSL_CHECK(!paths_.empty(), "image_folder: no images found in ", options_.root.string(),
            " (layout ", options_.layout, ")");
}

bool ImageFolderDataset::has_image_extension(const fs::path& p) const {
  std::string ext = to_lower(p.extension().string());
  if (!ext.empty()) ext.erase(0, 1);
  return std::find(options_.extensions.begin(), options_.extensions.end(), ext) !=
         options_.extensions.end();
}

std::vector<fs::path> ImageFolderDataset::images_under(const fs::path& folder) const {
  std::vector<fs::path> found;
  for (const auto& entry :
       fs::recursive_directory_iterator(folder, fs::directory_options::follow_directory_symlink)) {
    if (entry.is_regular_file() && has_image_extension(entry.path())) found.push_back(entry.path());
  }
  std::sort(found.begin(), found.end());
  return found;
}

void ImageFolderDataset::scan_classes() {
  SSL_CHECK(fs::is_directory(options_.root), "image_folder: folder not found: ",
            options_.root.string());
  std::vector<fs::path> class_dirs;
  for (const auto& entry : fs::directory_iterator(options_.root))
    if (entry.is_directory()) class_dirs.push_back(entry.path());
  std::sort(class_dirs.begin(), class_dirs.end());
  SSL_CHECK(!class_dirs.empty(), "image_folder: no class sub-folders in ", options_.root.string(),
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
  SSL_CHECK(fs::is_directory(options_.root), "image_folder: folder not found: ",
            options_.root.string());
  paths_ = images_under(options_.root);
  labels_.assign(paths_.size(), -1);
}

void ImageFolderDataset::scan_manifest() {
  const fs::path& manifest = options_.root;
  SSL_CHECK(fs::is_regular_file(manifest), "image_folder: manifest file not found: ",
            manifest.string());
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
    if (!fs::is_regular_file(p)) {
      SSL_CHECK(options_.on_error == "skip", "image_folder: ", manifest.string(), ":", line_no,
                ": no such file ", p.string());
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
      SSL_CHECK(labels_[i] >= 0, "image_folder: ", manifest.string(), ":", lines[i],
                ": negative label ", labels_[i]);
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
    const cv::Mat image = decode_image(paths_[i], options_.channels);
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
                     std::to_string(paths_.size() + missing_) + " image(s) in " +
                     options_.root.string() + " that are missing, empty, unreadable or corrupt");
  paths_ = std::move(kept_paths);
  labels_ = std::move(kept_labels);
}

sdk::Sample ImageFolderDataset::get(int64_t index) const {
  SSL_CHECK(index >= 0 && index < size(), "image_folder: index ", index, " out of range [0, ",
            size(), ")");
  const fs::path& path = paths_[static_cast<size_t>(index)];
  cv::Mat image = decode_image(path, options_.channels);
  if (image.empty()) {
    std::error_code ec;
    const bool exists = fs::exists(path, ec);
    const bool zero = exists && fs::file_size(path, ec) == 0 && !ec;
    SSL_FAIL("image_folder: cannot decode ", path.string(),
             !exists ? ": file is gone" : zero ? ": zero-size file" : ": unreadable or corrupt image",
             " (on_error = \"skip\" drops such files at construction)");
  }
  return {image, labels_[static_cast<size_t>(index)]};
}

sdk::DatasetInfo ImageFolderDataset::info() const {
  sdk::DatasetInfo info;
  info.channels = options_.channels;
  info.height = height_;
  info.width = width_;
  info.num_classes = static_cast<int64_t>(class_names_.size());
  info.class_names = class_names_;
  return info;
}

sdk::Schema image_folder_schema() {
  sdk::Schema s;
  s.add_required("root", sdk::ValueType::String,
                 "image folder, or the manifest file for layout \"manifest\"");
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

std::shared_ptr<sdk::Dataset> make_image_folder(const sdk::Config& config,
                                                const sdk::BuildContext& ctx) {
  ImageFolderOptions o;
  o.root = resolve_path(config.get_string("root"), ctx.base_dir);
  o.layout = config.get_string("layout");
  o.extensions = config.get_string_list("extensions");
  o.on_error = config.get_string("on_error");
  const int64_t channels = config.get_int("channels");
  SSL_CHECK(channels == 1 || channels == 3, config.context(), ": 'channels' must be 1 or 3, got ",
            channels);
  o.channels = static_cast<int>(channels);
  return std::make_shared<ImageFolderDataset>(std::move(o));
}

}  // namespace ssl::plugins::dataset_core
