#include "dataset_view.h"

#include <algorithm>
#include <cmath>
#include <map>

#include "ssl/sdk/error.h"
#include "ssl/sdk/rng.h"

namespace ssl::host {

namespace {
constexpr size_t kLockStripes = 64;

void seeded_shuffle(std::vector<int64_t>& v, uint64_t seed) {
  sdk::Rng rng(seed);
  for (size_t i = v.size(); i > 1; --i) std::swap(v[i - 1], v[static_cast<size_t>(rng.randint(0, static_cast<int64_t>(i)))]);
}
}  // namespace

int64_t long_tail_count(int64_t n_max, int64_t c, int64_t num_classes, double ratio) {
  if (num_classes <= 1 || ratio <= 1.0) return n_max;
  const double f = std::pow(ratio, -static_cast<double>(c) / static_cast<double>(num_classes - 1));
  return std::max<int64_t>(1, static_cast<int64_t>(std::floor(static_cast<double>(n_max) * f)));
}

DatasetView::DatasetView(std::shared_ptr<sdk::Dataset> base, const sdk::Config& common, uint64_t seed,
                         std::string name)
    : base_(std::move(base)), name_(std::move(name)), info_(base_->info()) {
  const int64_t n = base_->size();
  SSL_CHECK(n > 0, name_, ": the dataset is empty");
  std::vector<int64_t> all_labels = base_->labels();
  SSL_CHECK(static_cast<int64_t>(all_labels.size()) == n, name_, ": labels() returned ", all_labels.size(),
            " labels for ", n, " images");

  // Part k of n, then the class filter.
  const auto part = common.get_int_list("part");
  SSL_CHECK(part.empty() || (part.size() == 2 && part[1] >= 1 && part[0] >= 0 && part[0] < part[1]), name_,
            ": part = [k, n] keeps part k of n (0 <= k < n), got ", sdk::format_value(sdk::Value(part)));
  const auto classes = common.get_int_list("classes");
  std::vector<int64_t> keep;
  keep.reserve(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) {
    const int64_t y = all_labels[static_cast<size_t>(i)];
    if (!part.empty() && i % part[1] != part[0]) continue;
    if (classes.empty() || std::find(classes.begin(), classes.end(), y) != classes.end()) keep.push_back(i);
  }
  SSL_CHECK(!keep.empty(), name_, ": no image ", part.empty() ? "" : "of the part ", "has one of the labels in 'classes'");
  style_ = parse_image_style(common.get_string("style"));

  // Long-tail subsampling: class rank by label order (the classes filter order if given).
  const double ratio = common.get_float("imbalance_ratio");
  if (ratio > 1.0) {
    SSL_CHECK(info_.num_classes > 0, name_, ": imbalance_ratio needs a labelled dataset");
    std::vector<int64_t> order = classes;
    if (order.empty())
      for (int64_t c = 0; c < info_.num_classes; ++c) order.push_back(c);
    std::map<int64_t, std::vector<int64_t>> by_class;
    for (int64_t i : keep) by_class[all_labels[static_cast<size_t>(i)]].push_back(i);
    int64_t n_max = 0;
    for (auto& [c, v] : by_class) n_max = std::max<int64_t>(n_max, static_cast<int64_t>(v.size()));
    keep.clear();
    for (size_t rank = 0; rank < order.size(); ++rank) {
      auto& v = by_class[order[rank]];
      seeded_shuffle(v, seed ^ (0x51ed2701ULL + static_cast<uint64_t>(order[rank])));
      const int64_t want = long_tail_count(n_max, static_cast<int64_t>(rank), static_cast<int64_t>(order.size()), ratio);
      v.resize(static_cast<size_t>(std::min<int64_t>(want, static_cast<int64_t>(v.size()))));
      keep.insert(keep.end(), v.begin(), v.end());
    }
    std::sort(keep.begin(), keep.end());
  }

  // At most per_class images of each class (seeded): an exactly balanced subset.
  if (const int64_t per_class = common.get_int("per_class"); per_class > 0) {
    std::map<int64_t, std::vector<int64_t>> by_class;
    for (int64_t i : keep) {
      const int64_t y = all_labels[static_cast<size_t>(i)];
      SSL_CHECK(y >= 0, name_, ": per_class needs a labelled dataset (image ", i, " has no label)");
      by_class[y].push_back(i);
    }
    keep.clear();
    for (auto& [c, v] : by_class) {
      seeded_shuffle(v, seed ^ (0x9e3c1a55ULL + static_cast<uint64_t>(c)));
      v.resize(static_cast<size_t>(std::min<int64_t>(per_class, static_cast<int64_t>(v.size()))));
      keep.insert(keep.end(), v.begin(), v.end());
    }
    std::sort(keep.begin(), keep.end());
  }

  // Seeded subset (count, then fraction).
  const int64_t subset = common.get_int("subset");
  const double fraction = common.get_float("subset_fraction");
  int64_t want = static_cast<int64_t>(keep.size());
  if (fraction < 1.0) want = std::max<int64_t>(1, static_cast<int64_t>(std::llround(fraction * double(want))));
  if (subset > 0) want = std::min<int64_t>(want, subset);
  if (want < static_cast<int64_t>(keep.size())) {
    seeded_shuffle(keep, seed ^ 0x5ab5e7ULL);
    keep.resize(static_cast<size_t>(want));
    std::sort(keep.begin(), keep.end());
  }

  indices_ = std::move(keep);
  labels_.reserve(indices_.size());
  for (int64_t i : indices_) labels_.push_back(all_labels[static_cast<size_t>(i)]);
  cache_ = common.get_bool("cache");
  if (cache_) {
    cached_.resize(indices_.size());
    locks_ = std::make_unique<std::mutex[]>(kLockStripes);
  }
}

sdk::Sample DatasetView::get(int64_t i) const {
  SSL_CHECK(i >= 0 && i < size(), name_, ": index ", i, " out of range [0, ", size(), ")");
  const auto k = static_cast<size_t>(i);
  if (!cache_) {
    sdk::Sample s = base_->get(indices_[k]);
    SSL_CHECK(!s.image.empty(), name_, ": image ", indices_[k], " is empty");
    s.image = apply_image_style(s.image, style_);
    return s;
  }
  {
    std::lock_guard<std::mutex> lock(locks_[k % kLockStripes]);
    if (!cached_[k].empty()) return {cached_[k], labels_[k]};
  }
  sdk::Sample s = base_->get(indices_[k]);
  SSL_CHECK(!s.image.empty(), name_, ": image ", indices_[k], " is empty");
  s.image = apply_image_style(s.image, style_);
  std::lock_guard<std::mutex> lock(locks_[k % kLockStripes]);
  cached_[k] = s.image;
  return s;
}

std::string DatasetView::class_name(int64_t label) const {
  if (label < 0) return "unlabelled";
  const auto& names = info_.class_names;
  return label < static_cast<int64_t>(names.size()) ? names[static_cast<size_t>(label)] : "class " + std::to_string(label);
}

std::vector<int64_t> DatasetView::class_counts() const {
  std::vector<int64_t> counts(static_cast<size_t>(std::max<int64_t>(info_.num_classes, 0)), 0);
  for (int64_t y : labels_) {
    if (y < 0) continue;
    if (static_cast<size_t>(y) >= counts.size()) counts.resize(static_cast<size_t>(y) + 1, 0);
    ++counts[static_cast<size_t>(y)];
  }
  return counts;
}

}  // namespace ssl::host
