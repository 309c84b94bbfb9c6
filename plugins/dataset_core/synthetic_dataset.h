#pragma once
// Seeded procedural images with labels, for smoke tests and tiny end-to-end runs.
//
// The class fixes a shape (circle, square, triangle, stripes, checker, ring, cross, star,
// half-disc, dot grid; cycling for more than 10 classes, with an outline variant) and a hue;
// each sample draws position, scale, rotation, exact colour, a textured background and pixel
// noise. Shapes are told apart by geometry alone, so 1-channel images stay learnable, and
// colour jitter cannot erase the class. get(i) depends only on (seed, i) and is generated on
// the fly: HWC CV_8U, image_size x image_size x channels (RGB).
#include <cstdint>
#include <memory>

#include "ssl/sdk/config.h"
#include "ssl/sdk/context.h"
#include "ssl/sdk/dataset.h"
#include "ssl/sdk/schema.h"

namespace ssl::plugins::dataset_core {

struct SyntheticOptions {
  int64_t num_samples = 1024;
  int64_t image_size = 32;
  int64_t channels = 3;
  int64_t num_classes = 10;
  uint64_t seed = 0;
};

class SyntheticDataset final : public sdk::Dataset {
 public:
  static constexpr int kNumShapes = 10;

  explicit SyntheticDataset(SyntheticOptions options);
  int64_t size() const override { return options_.num_samples; }
  sdk::Sample get(int64_t index) const override;
  sdk::DatasetInfo info() const override;
  std::vector<int64_t> labels() const override;
  // Class of sample `index`: index mod num_classes (balanced, no decoding needed).
  int64_t label_of(int64_t index) const { return index % options_.num_classes; }

 private:
  SyntheticOptions options_;
};

sdk::Schema synthetic_schema();
std::shared_ptr<sdk::Dataset> make_synthetic(const sdk::Config& config,
                                             const sdk::BuildContext& ctx);

}  // namespace ssl::plugins::dataset_core
