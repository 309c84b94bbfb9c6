#pragma once
// CIFAR-10 / CIFAR-100 binary batches (Krizhevsky 2009).
//
//   CIFAR-10:  data_batch_1..5.bin (train), test_batch.bin (test); record = 1 label byte + 3072
//   CIFAR-100: train.bin, test.bin; record = coarse byte + fine byte + 3072
// Pixels are stored planar (1024 R, 1024 G, 1024 B, each 32x32 row-major). The files may sit
// directly in `root` or in the archive's folder (cifar-10-batches-bin / cifar-100-binary).
// get(i) returns a 32x32 CV_8UC3 RGB image.
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

struct CifarOptions {
  std::filesystem::path root;
  std::string split = "train";      // "train" | "test"
  std::string variant = "cifar10";  // "cifar10" | "cifar100"
  std::string label = "fine";       // CIFAR-100 only: "fine" (100) | "coarse" (20)
};

class CifarDataset final : public sdk::Dataset {
 public:
  static constexpr int64_t kSide = 32;
  static constexpr int64_t kPixels = 3 * kSide * kSide;

  explicit CifarDataset(CifarOptions options);
  int64_t size() const override { return static_cast<int64_t>(labels_.size()); }
  sdk::Sample get(int64_t index) const override;
  sdk::DatasetInfo info() const override;
  std::vector<int64_t> labels() const override { return labels_; }

 private:
  CifarOptions options_;
  std::vector<uint8_t> pixels_;  // N x 3 x 32 x 32, planar as stored
  std::vector<int64_t> labels_;
  std::vector<std::string> class_names_;
};

sdk::Schema cifar_schema();
std::shared_ptr<sdk::Dataset> make_cifar(const sdk::Config& config, const sdk::BuildContext& ctx);

}  // namespace ssl::plugins::dataset_core
