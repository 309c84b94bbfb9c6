#pragma once
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
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "ssl/sdk/config.h"
#include "ssl/sdk/context.h"
#include "ssl/sdk/dataset.h"
#include "ssl/sdk/schema.h"

namespace ssl::plugins::dataset_core {

struct IdxOptions {
  std::filesystem::path root;
  std::string split = "train";          // "train" | "test"
  std::string images, labels;           // file names; empty: standard names, .gz tried first
  std::vector<std::string> class_names; // empty: Fashion-MNIST names or digits (by folder name)
};

class IdxDataset final : public sdk::Dataset {
 public:
  explicit IdxDataset(IdxOptions options);
  int64_t size() const override { return count_; }
  sdk::Sample get(int64_t index) const override;
  sdk::DatasetInfo info() const override;
  std::vector<int64_t> labels() const override { return labels_; }

 private:
  IdxOptions options_;
  int64_t count_ = 0, rows_ = 0, cols_ = 0;
  std::vector<uint8_t> pixels_;  // count x rows x cols, row-major (the IDX payload)
  std::vector<int64_t> labels_;
  std::vector<std::string> class_names_;
};

sdk::Schema idx_schema();
std::shared_ptr<sdk::Dataset> make_idx(const sdk::Config& config, const sdk::BuildContext& ctx);

}  // namespace ssl::plugins::dataset_core
