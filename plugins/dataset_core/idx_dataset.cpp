// MNIST-style IDX files (LeCun et al. 1998; Fashion-MNIST, Xiao et al. 2017), gzip or plain.
//
//   [data.train]
//   type = "idx"
//   root = "/usr/share/datasets/fashion-mnist"
//   split = "train"
//
// The whole split is loaded into memory at construction (60000 x 28 x 28 = 47 MB);
// get(i) returns a 28x28 CV_8UC1 image (rows x cols from the IDX header) and its label.
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <iomanip>
#include <sstream>
#include <string>
#include <vector>

#include "path_util.h"
#include "ssl/sdk/dataset.h"
#include "ssl/sdk/error.h"
#include "ssl/sdk/registrar.h"

namespace ssl::plugins::dataset_core {

namespace fs = std::filesystem;

namespace {

constexpr uint32_t kImageMagic = 0x00000803;  // unsigned byte, 3 dimensions
constexpr uint32_t kLabelMagic = 0x00000801;  // unsigned byte, 1 dimension

const std::vector<std::string> kFashionNames = {"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                                                "Sandal",      "Shirt",   "Sneaker",  "Bag",   "Ankle boot"};

uint32_t read_be32(const std::vector<uint8_t>& data, size_t offset) {
  return (uint32_t(data[offset]) << 24) | (uint32_t(data[offset + 1]) << 16) | (uint32_t(data[offset + 2]) << 8) |
         uint32_t(data[offset + 3]);
}

std::string hex(uint32_t v) {
  std::ostringstream out;
  out << "0x" << std::hex << std::setw(8) << std::setfill('0') << v;
  return out.str();
}

// The file to read: an explicit name, or the standard name with ".gz" tried before plain.
fs::path locate(const fs::path& root, const std::string& given, const std::string& standard, const char* what) {
  if (!given.empty()) {
    const fs::path p = fs::path(given).is_absolute() ? fs::path(given) : root / given;
    SSL_CHECK(is_file(p), "idx: ", what, " file not found: ", p.string());
    return p;
  }
  const fs::path gz = root / (standard + ".gz");
  if (is_file(gz)) return gz;
  const fs::path plain = root / standard;
  SSL_CHECK(is_file(plain), "idx: ", what, " file not found: ", gz.string(), " (nor ", plain.string(), ")");
  return plain;
}

void check_magic(const std::vector<uint8_t>& data, uint32_t expected, const fs::path& path) {
  SSL_CHECK(data.size() >= 4, "idx: ", path.string(), " is too short for an IDX header (", data.size(), " bytes)");
  const uint32_t found = read_be32(data, 0);
  SSL_CHECK(found == expected, "idx: wrong magic number in ", path.string(), ": expected ", hex(expected), ", found ",
            hex(found));
}

void check_size(const std::vector<uint8_t>& data, size_t expected, const fs::path& path) {
  SSL_CHECK(data.size() == expected, "idx: ", data.size() < expected ? "truncated" : "oversized", " data in ",
            path.string(), ": expected ", expected, " bytes, got ", data.size());
}

class IdxDataset final : public sdk::Dataset {
 public:
  IdxDataset(const sdk::Config& config, const sdk::BuildContext& ctx);
  static sdk::Schema schema();
  int64_t size() const override { return count_; }
  sdk::Sample get(int64_t index) const override;
  sdk::DatasetInfo info() const override;
  std::vector<int64_t> labels() const override { return labels_; }

 private:
  int64_t count_ = 0, rows_ = 0, cols_ = 0;
  std::vector<uint8_t> pixels_;  // count x rows x cols, row-major (the IDX payload)
  std::vector<int64_t> labels_;
  std::vector<std::string> class_names_;
};

}  // namespace

IdxDataset::IdxDataset(const sdk::Config& config, const sdk::BuildContext& ctx) {
  const fs::path root = resolve_path(config.get_string("root"), ctx.base_dir);
  SSL_CHECK(is_folder(root), "idx: folder not found: ", root.string());
  const std::string prefix = config.get_string("split") == "train" ? "train" : "t10k";
  const fs::path image_path = locate(root, config.get_string("images"), prefix + "-images-idx3-ubyte", "image");
  const fs::path label_path = locate(root, config.get_string("labels"), prefix + "-labels-idx1-ubyte", "label");

  pixels_ = read_maybe_gzip(image_path);
  check_magic(pixels_, kImageMagic, image_path);
  SSL_CHECK(pixels_.size() >= 16, "idx: truncated header in ", image_path.string(), ": expected 16 bytes, got ",
            pixels_.size());
  count_ = read_be32(pixels_, 4);
  rows_ = read_be32(pixels_, 8);
  cols_ = read_be32(pixels_, 12);
  // Each side first: two 32-bit sides multiplied overflow int64 (found by the IDX fuzzer).
  constexpr int64_t kMaxPixels = int64_t{1} << 24;
  SSL_CHECK(rows_ > 0 && cols_ > 0 && rows_ <= kMaxPixels && cols_ <= kMaxPixels && rows_ * cols_ <= kMaxPixels, "idx: ", image_path.string(),
            " declares an implausible image size (", rows_, "x", cols_, ")");
  check_size(pixels_, 16 + static_cast<size_t>(count_ * rows_ * cols_), image_path);
  pixels_.erase(pixels_.begin(), pixels_.begin() + 16);
  pixels_.shrink_to_fit();

  const std::vector<uint8_t> raw_labels = read_maybe_gzip(label_path);
  check_magic(raw_labels, kLabelMagic, label_path);
  SSL_CHECK(raw_labels.size() >= 8, "idx: truncated header in ", label_path.string(), ": expected 8 bytes, got ",
            raw_labels.size());
  const int64_t label_count = read_be32(raw_labels, 4);
  check_size(raw_labels, 8 + static_cast<size_t>(label_count), label_path);
  SSL_CHECK(label_count == count_, "idx: image/label count mismatch: ", image_path.string(), " holds ", count_,
            " images but ", label_path.string(), " holds ", label_count, " labels");

  if (const auto& names = config.get_string_list("class_names"); !names.empty()) {
    class_names_ = names;
  } else if (to_lower(root.string()).find("fashion") != std::string::npos) {
    class_names_ = kFashionNames;
  } else {
    for (int d = 0; d < 10; ++d) class_names_.push_back(std::to_string(d));
  }
  labels_.resize(static_cast<size_t>(count_));
  const auto num_classes = static_cast<int64_t>(class_names_.size());
  for (int64_t i = 0; i < count_; ++i) {
    const int64_t label = raw_labels[8 + static_cast<size_t>(i)];
    SSL_CHECK(label < num_classes, "idx: label out of range in ", label_path.string(), " at index ", i, ": ", label,
              " (", num_classes, " classes)");
    labels_[static_cast<size_t>(i)] = label;
  }
}

sdk::Sample IdxDataset::get(int64_t index) const {
  SSL_CHECK(index >= 0 && index < count_, "idx: index ", index, " out of range [0, ", count_, ")");
  const size_t plane = static_cast<size_t>(rows_ * cols_);
  cv::Mat image(static_cast<int>(rows_), static_cast<int>(cols_), CV_8UC1);
  std::memcpy(image.data, pixels_.data() + static_cast<size_t>(index) * plane, plane);
  return {image, labels_[static_cast<size_t>(index)]};
}

sdk::DatasetInfo IdxDataset::info() const {
  sdk::DatasetInfo info;
  info.channels = 1;
  info.height = rows_;
  info.width = cols_;
  info.num_classes = static_cast<int64_t>(class_names_.size());
  info.class_names = class_names_;
  return info;
}

sdk::Schema IdxDataset::schema() {
  sdk::Schema s;
  s.add_string("root", "/usr/share/datasets/fashion-mnist",
               "folder holding the IDX files (relative: to the pipeline's folder)");
  s.add_string("split", "train", "which files: train-* or t10k-*").choices({"train", "test"});
  s.add_string("images", "", "image file name override (empty: standard name, .gz first)");
  s.add_string("labels", "", "label file name override (empty: standard name, .gz first)");
  s.add_string_list("class_names", {},
                    "class names (empty: Fashion-MNIST names if the folder says fashion, else digits)");
  return s;
}

void register_idx(sdk::Registrar& r) {
  r.add_dataset<IdxDataset>("idx", "MNIST / Fashion-MNIST IDX files (gzip or plain), in memory");
}

}  // namespace ssl::plugins::dataset_core
