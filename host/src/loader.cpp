#include "loader.h"

#include <ATen/ATen.h>

#include <algorithm>
#include <chrono>
#include <cmath>

#include "ssl/sdk/error.h"

namespace ssl::host {

void image_to_chw(const cv::Mat& image, float* out) {
  const int h = image.rows, w = image.cols, c = image.channels();
  const size_t plane = static_cast<size_t>(h) * static_cast<size_t>(w);
  if (image.depth() == CV_8U) {
    constexpr float kScale = 1.0f / 255.0f;
    for (int y = 0; y < h; ++y) {
      const uint8_t* row = image.ptr<uint8_t>(y);
      for (int x = 0; x < w; ++x)
        for (int k = 0; k < c; ++k) out[k * plane + size_t(y) * w + x] = row[x * c + k] * kScale;
    }
  } else if (image.depth() == CV_32F) {
    for (int y = 0; y < h; ++y) {
      const float* row = image.ptr<float>(y);
      for (int x = 0; x < w; ++x)
        for (int k = 0; k < c; ++k) out[k * plane + size_t(y) * w + x] = row[x * c + k];
    }
  } else {
    SSL_FAIL("images must be 8-bit or 32-bit float, got OpenCV depth ", image.depth());
  }
}

Loader::Loader(std::shared_ptr<const DatasetView> data, std::vector<ViewChain> chains,
               std::shared_ptr<const sdk::SampleTransform> transform, LoaderOptions options)
    : data_(std::move(data)), chains_(std::move(chains)), transform_(std::move(transform)),
      options_(std::move(options)) {
  SSL_CHECK(transform_ || !chains_.empty(), "the loader needs at least one view");
  SSL_CHECK(options_.world_size >= 1 && options_.rank >= 0 && options_.rank < options_.world_size,
            "invalid rank ", options_.rank, " of world size ", options_.world_size);
}

Loader::~Loader() { stop_workers(); }

int64_t Loader::samples_per_epoch() const {
  const int64_t n = options_.subset.empty() ? data_->size() : static_cast<int64_t>(options_.subset.size());
  return n / options_.world_size;
}

int64_t Loader::batches_per_epoch() const {
  const int64_t n = samples_per_epoch();
  return options_.drop_last ? n / options_.batch_size : (n + options_.batch_size - 1) / options_.batch_size;
}

namespace {
std::vector<int64_t> all_positions(const LoaderOptions& o, int64_t size) {
  std::vector<int64_t> order = o.subset;
  if (order.empty()) {
    order.resize(static_cast<size_t>(size));
    for (size_t i = 0; i < order.size(); ++i) order[i] = static_cast<int64_t>(i);
  }
  return order;
}
}  // namespace

void Loader::set_sampling_weights(std::vector<double> weights) {
  cumulative_.clear();
  if (weights.empty()) return;
  SSL_CHECK(static_cast<int64_t>(weights.size()) == data_->size(), "sampling weights: got ", weights.size(),
            " weights for a training set of ", data_->size(), " samples (one per dataset position)");
  const std::vector<int64_t> positions = all_positions(options_, data_->size());
  double total = 0.0;
  for (size_t i = 0; i < weights.size(); ++i)
    SSL_CHECK(std::isfinite(weights[i]) && weights[i] >= 0.0, "sampling weights: the weight of sample ", i, " is ",
              weights[i], " (weights must be finite and >= 0)");
  cumulative_.reserve(positions.size());
  for (const int64_t p : positions) cumulative_.push_back(total += weights[static_cast<size_t>(p)]);
  if (!(total > 0.0)) {
    cumulative_.clear();
    SSL_FAIL("sampling weights: every weight of the loaded samples is 0 (nothing to draw)");
  }
}

std::vector<int64_t> Loader::epoch_order(int64_t epoch) const {
  std::vector<int64_t> order = all_positions(options_, data_->size());
  if (!cumulative_.empty()) {
    // Inverse-CDF draws with replacement; the stream differs from the shuffle's.
    sdk::Rng rng = sdk::Rng::for_sample(options_.seed, static_cast<uint64_t>(epoch), ~0ULL, 0x3e16ULL);
    const std::vector<int64_t> positions = order;
    const double total = cumulative_.back();
    for (auto& o : order) {
      const double u = rng.uniform() * total;
      const size_t at = static_cast<size_t>(std::upper_bound(cumulative_.begin(), cumulative_.end(), u) - cumulative_.begin());
      o = positions[std::min(at, positions.size() - 1)];
    }
  } else if (options_.shuffle) {
    sdk::Rng rng = sdk::Rng::for_sample(options_.seed, static_cast<uint64_t>(epoch), ~0ULL, 0x5eedULL);
    for (size_t i = order.size(); i > 1; --i)
      std::swap(order[i - 1], order[static_cast<size_t>(rng.randint(0, static_cast<int64_t>(i)))]);
  }
  if (options_.world_size == 1) return order;
  // This rank's shard: its slice of every global batch (batch_size rows per rank), so that the
  // ranks' k-th batches together are the single-process run's k-th batch of batch_size x W
  // rows. The samples of a last partial global batch are split evenly; n mod W are left out.
  const int64_t world = options_.world_size, rank = options_.rank, b = options_.batch_size;
  const int64_t used = samples_per_epoch() * world, global = b * world;
  std::vector<int64_t> mine;
  mine.reserve(static_cast<size_t>(samples_per_epoch()));
  for (int64_t start = 0; start < used; start += global) {
    const int64_t share = std::min(global, used - start) / world;
    const auto from = order.begin() + start + rank * share;
    mine.insert(mine.end(), from, from + share);
  }
  return mine;
}

HostBatch Loader::build_batch(int64_t epoch, const std::vector<int64_t>& positions) const {
  const int64_t n = static_cast<int64_t>(positions.size());
  HostBatch batch;
  batch.labels = at::empty({n}, at::kLong);
  batch.indices = at::empty({n}, at::kLong);
  auto* labels = batch.labels.data_ptr<int64_t>();
  auto* indices = batch.indices.data_ptr<int64_t>();
  std::vector<int64_t> targets;
  int64_t num_targets = -1;

  auto place = [&](size_t v, int64_t row, const cv::Mat& img, const std::string& label, int64_t group) {
    if (batch.views.size() <= v) {
      batch.views.push_back(at::empty({n, img.channels(), img.rows, img.cols}, at::kFloat));
      batch.view_group.push_back(group);
    }
    at::Tensor& t = batch.views[v];
    SSL_CHECK(t.size(1) == img.channels() && t.size(2) == img.rows && t.size(3) == img.cols, label,
              " produced a ", img.channels(), "x", img.rows, "x", img.cols, " image for dataset index ",
              positions[static_cast<size_t>(row)], " but ", t.size(1), "x", t.size(2), "x", t.size(3),
              " for the first image of the batch: views in a group must share one size (end the chain"
              " with a fixed-size op such as random_resized_crop, resize or center_crop)");
    image_to_chw(img, t.data_ptr<float>() + row * t.stride(0));
  };

  for (int64_t row = 0; row < n; ++row) {
    const int64_t pos = positions[static_cast<size_t>(row)];
    sdk::Sample sample = data_->get(pos);
    labels[row] = sample.label;
    indices[row] = pos;
    const auto base = static_cast<uint64_t>(data_->base_index(pos));
    if (transform_) {
      sdk::Rng rng = sdk::Rng::for_sample(options_.seed, static_cast<uint64_t>(epoch), base, 0);
      sdk::TransformedSample ts = transform_->apply(sample.image, rng);
      SSL_CHECK(row == 0 || ts.views.size() == batch.views.size(), "the method's sample transform produced ",
                ts.views.size(), " views for index ", pos, " but ", batch.views.size(), " before");
      if (num_targets < 0) num_targets = static_cast<int64_t>(ts.targets.size());
      SSL_CHECK(static_cast<int64_t>(ts.targets.size()) == num_targets,
                "the method's sample transform produced a varying number of targets");
      targets.insert(targets.end(), ts.targets.begin(), ts.targets.end());
      for (size_t v = 0; v < ts.views.size(); ++v) place(v, row, ts.views[v], "the method's sample transform", 0);
      continue;
    }
    for (size_t v = 0; v < chains_.size(); ++v) {
      sdk::Rng rng = sdk::Rng::for_sample(options_.seed, static_cast<uint64_t>(epoch), base, v);
      cv::Mat img = sample.image;
      for (const auto& op : chains_[v].ops) img = op->apply(img, rng);
      place(v, row, img, chains_[v].label, chains_[v].group);
    }
  }
  if (num_targets > 0) batch.targets = at::tensor(targets, at::kLong).view({n, num_targets});
  return batch;
}

void Loader::stop_workers() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stop_ = true;
  }
  consumed_cv_.notify_all();
  produced_.notify_all();
  for (auto& t : threads_) t.join();
  threads_.clear();
}

void Loader::start_epoch(int64_t epoch, int64_t skip) {
  stop_workers();
  std::lock_guard<std::mutex> lock(mutex_);
  stop_ = false;
  epoch_ = epoch;
  order_ = epoch_order(epoch);
  num_batches_ = batches_per_epoch();
  next_to_build_ = next_to_return_ = std::min(skip, num_batches_);
  ready_.clear();
  error_ = nullptr;
  for (int64_t i = 0; i < options_.workers; ++i) threads_.emplace_back([this] { worker_loop(); });
}

void Loader::worker_loop() {
  while (true) {
    int64_t b;
    {
      std::unique_lock<std::mutex> lock(mutex_);
      consumed_cv_.wait(lock, [&] {
        return stop_ || error_ || next_to_build_ >= num_batches_ || next_to_build_ < next_to_return_ + options_.prefetch;
      });
      if (stop_ || error_ || next_to_build_ >= num_batches_) return;
      b = next_to_build_++;
    }
    try {
      const int64_t begin = b * options_.batch_size;
      const int64_t end = std::min<int64_t>(begin + options_.batch_size, static_cast<int64_t>(order_.size()));
      std::vector<int64_t> positions(order_.begin() + begin, order_.begin() + end);
      HostBatch batch = build_batch(epoch_, positions);
      std::lock_guard<std::mutex> lock(mutex_);
      ready_.emplace(b, std::move(batch));
    } catch (...) {
      std::lock_guard<std::mutex> lock(mutex_);
      if (!error_) error_ = std::current_exception();
    }
    produced_.notify_all();
  }
}

std::optional<HostBatch> Loader::next() {
  std::unique_lock<std::mutex> lock(mutex_);
  if (next_to_return_ >= num_batches_) return std::nullopt;
  const auto t0 = std::chrono::steady_clock::now();
  produced_.wait(lock, [&] { return error_ || ready_.count(next_to_return_) != 0; });
  wait_seconds_ += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  if (error_) std::rethrow_exception(error_);
  auto it = ready_.find(next_to_return_);
  HostBatch batch = std::move(it->second);
  ready_.erase(it);
  ++next_to_return_;
  lock.unlock();
  consumed_cv_.notify_all();
  return batch;
}

}  // namespace ssl::host
