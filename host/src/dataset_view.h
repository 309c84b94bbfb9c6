#pragma once
// The options every dataset shares, as one mechanism: a part of n (by index), a class filter,
// long-tail subsampling, a per-class cap, a seeded subset (count or fraction), applied in that
// order: part, classes, imbalance_ratio, per_class, subset; then a deterministic restyling of
// every image (image_style.h) and an in-memory cache of decoded images. Wraps any sdk::Dataset
// and maps view indices to the dataset's own.
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "image_style.h"
#include "ssl/sdk/config.h"
#include "ssl/sdk/dataset.h"

namespace ssl::host {

class DatasetView {
 public:
  // `common` holds the keys of common_component_schema(Kind::Dataset).
  DatasetView(std::shared_ptr<sdk::Dataset> base, const sdk::Config& common, uint64_t seed, std::string name);

  int64_t size() const { return static_cast<int64_t>(indices_.size()); }
  sdk::Sample get(int64_t i) const;        // thread-safe
  int64_t label(int64_t i) const { return labels_[static_cast<size_t>(i)]; }
  int64_t base_index(int64_t i) const { return indices_[static_cast<size_t>(i)]; }
  const sdk::DatasetInfo& info() const { return info_; }
  const std::string& name() const { return name_; }
  // What a page calls label `label`: the dataset's class name, "class N" without one,
  // "unlabelled" for -1.
  std::string class_name(int64_t label) const;
  // Images per class after filtering (index = label); empty when unlabelled.
  std::vector<int64_t> class_counts() const;

 private:
  std::shared_ptr<sdk::Dataset> base_;
  std::string name_;
  sdk::DatasetInfo info_;
  std::vector<int64_t> indices_, labels_;
  ImageStyle style_ = ImageStyle::None;
  bool cache_ = false;
  mutable std::vector<cv::Mat> cached_;
  mutable std::unique_ptr<std::mutex[]> locks_;  // striped locks for the cache
};

// Long-tail profile (Cui et al. 2019 style exponential): how many images class c of C keeps
// when the largest class has n_max and the imbalance ratio is r: n_max * r^(-c/(C-1)).
int64_t long_tail_count(int64_t n_max, int64_t c, int64_t num_classes, double ratio);

}  // namespace ssl::host
