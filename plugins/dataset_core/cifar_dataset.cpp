// CIFAR-10 / CIFAR-100 binary batches (Krizhevsky 2009).
//
//   CIFAR-10:  data_batch_1..5.bin (train), test_batch.bin (test); record = 1 label byte + 3072
//   CIFAR-100: train.bin, test.bin; record = coarse byte + fine byte + 3072
// Pixels are stored planar (1024 R, 1024 G, 1024 B, each 32x32 row-major). The files may sit
// directly in `root` or in the archive's folder (cifar-10-batches-bin / cifar-100-binary).
// get(i) returns a 32x32 CV_8UC3 RGB image.
#include <opencv2/core.hpp>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "path_util.h"
#include "ssl/sdk/dataset.h"
#include "ssl/sdk/error.h"
#include "ssl/sdk/registrar.h"

namespace ssl::plugins::dataset_core {

namespace fs = std::filesystem;

namespace {

const std::vector<std::string> kCifar10Names = {"airplane", "automobile", "bird",  "cat",  "deer",
                                                "dog",      "frog",       "horse", "ship", "truck"};

// `root` itself if it holds `probe`, else the archive's sub-folder if that does.
fs::path data_folder(const fs::path& root, const std::string& sub, const std::string& probe) {
  if (is_file(root / probe)) return root;
  if (is_file(root / sub / probe)) return root / sub;
  return root;
}

// One class name per non-empty line, or `count` numbered names when the file is absent.
std::vector<std::string> names_from(const fs::path& file, int64_t count) {
  std::vector<std::string> names;
  std::ifstream in(file);
  for (std::string line; std::getline(in, line);) {
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.pop_back();
    if (!line.empty()) names.push_back(line);
  }
  if (static_cast<int64_t>(names.size()) == count) return names;
  names.clear();
  for (int64_t i = 0; i < count; ++i) names.push_back(std::to_string(i));
  return names;
}

class CifarDataset final : public sdk::Dataset {
 public:
  static constexpr int64_t kSide = 32;
  static constexpr int64_t kPixels = 3 * kSide * kSide;

  CifarDataset(const sdk::Config& config, const sdk::BuildContext& ctx);
  static sdk::Schema schema();
  int64_t size() const override { return static_cast<int64_t>(labels_.size()); }
  sdk::Sample get(int64_t index) const override;
  sdk::DatasetInfo info() const override;
  std::vector<int64_t> labels() const override { return labels_; }

 private:
  std::vector<uint8_t> pixels_;  // N x 3 x 32 x 32, planar as stored
  std::vector<int64_t> labels_;
  std::vector<std::string> class_names_;
};

}  // namespace

CifarDataset::CifarDataset(const sdk::Config& config, const sdk::BuildContext& ctx) {
  const fs::path root = resolve_path(config.get_string("root"), ctx.base_dir);
  const std::string split = config.get_string("split"), variant = config.get_string("variant");
  const bool fine = config.get_string("label") == "fine";
  SSL_CHECK(is_folder(root), "cifar: folder not found: ", root.string());
  const bool is100 = variant == "cifar100";
  std::vector<std::string> files;
  fs::path folder;
  if (is100) {
    files = {split == "train" ? "train.bin" : "test.bin"};
    folder = data_folder(root, "cifar-100-binary", files[0]);
  } else if (split == "train") {
    for (int b = 1; b <= 5; ++b) files.push_back("data_batch_" + std::to_string(b) + ".bin");
    folder = data_folder(root, "cifar-10-batches-bin", files[0]);
  } else {
    files = {"test_batch.bin"};
    folder = data_folder(root, "cifar-10-batches-bin", files[0]);
  }
  const size_t label_bytes = is100 ? 2 : 1;
  const size_t record = label_bytes + static_cast<size_t>(kPixels);
  const size_t label_offset = is100 && fine ? 1 : 0;
  const int64_t num_classes = is100 ? (fine ? 100 : 20) : 10;

  for (const auto& name : files) {
    const fs::path path = folder / name;
    SSL_CHECK(is_file(path), "cifar: missing file ", path.string());
    const std::vector<uint8_t> data = read_binary(path);
    SSL_CHECK(!data.empty() && data.size() % record == 0, "cifar: size of ", path.string(), " (", data.size(),
              " bytes) is not a positive multiple of the ", record, "-byte record of ", variant);
    const size_t n = data.size() / record;
    pixels_.reserve(pixels_.size() + n * static_cast<size_t>(kPixels));
    for (size_t i = 0; i < n; ++i) {
      const uint8_t* rec = data.data() + i * record;
      const int64_t label = rec[label_offset];
      SSL_CHECK(label < num_classes, "cifar: label out of range in ", path.string(), " at record ", i, ": ", label,
                " (", num_classes, " classes)");
      labels_.push_back(label);
      pixels_.insert(pixels_.end(), rec + label_bytes, rec + record);
    }
  }
  if (is100) {
    class_names_ = names_from(folder / (fine ? "fine_label_names.txt" : "coarse_label_names.txt"), num_classes);
  } else {
    class_names_ = kCifar10Names;
  }
}

sdk::Sample CifarDataset::get(int64_t index) const {
  SSL_CHECK(index >= 0 && index < size(), "cifar: index ", index, " out of range [0, ", size(), ")");
  const int side = static_cast<int>(kSide);
  uint8_t* base = const_cast<uint8_t*>(pixels_.data()) + static_cast<size_t>(index * kPixels);
  // Headers on the stored planes (read only), merged into an interleaved RGB copy.
  std::vector<cv::Mat> planes;
  for (int c = 0; c < 3; ++c) planes.emplace_back(side, side, CV_8UC1, base + c * side * side);
  cv::Mat image;
  cv::merge(planes, image);
  return {image, labels_[static_cast<size_t>(index)]};
}

sdk::DatasetInfo CifarDataset::info() const {
  sdk::DatasetInfo info;
  info.channels = 3;
  info.height = info.width = kSide;
  info.num_classes = static_cast<int64_t>(class_names_.size());
  info.class_names = class_names_;
  return info;
}

sdk::Schema CifarDataset::schema() {
  sdk::Schema s;
  s.add_required("root", sdk::ValueType::String, "folder holding the binary batches (or the extracted archive folder)");
  s.add_string("split", "train", "train or test batches").choices({"train", "test"});
  s.add_string("variant", "cifar10", "which CIFAR").choices({"cifar10", "cifar100"});
  s.add_string("label", "fine", "CIFAR-100 label: fine (100 classes) or coarse (20)").choices({"fine", "coarse"});
  return s;
}

void register_cifar(sdk::Registrar& r) {
  r.add_dataset<CifarDataset>("cifar", "CIFAR-10 / CIFAR-100 binary batches, 32x32 RGB");
}

}  // namespace ssl::plugins::dataset_core
