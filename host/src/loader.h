#pragma once
// The data loader: worker threads build whole batches (decode -> per-view op chains ->
// collate) into a bounded prefetch window; batches come out in order. Every random choice
// comes from a per-sample Rng derived from (seed, epoch, dataset index, view), so the batches
// are identical whatever the number of workers.
#include <ATen/core/Tensor.h>

#include <condition_variable>
#include <cstdint>
#include <exception>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "dataset_view.h"
#include "ssl/sdk/augmentation.h"
#include "ssl/sdk/method.h"

namespace ssl::host {

// One view: the ops applied in order, and the view group it belongs to.
struct ViewChain {
  std::vector<std::shared_ptr<sdk::Augmentation>> ops;
  int64_t group = 0;
  std::string label;  // "view group 0 (global)" for error messages
};

struct LoaderOptions {
  int64_t batch_size = 256;  // per rank: the global batch is batch_size x world_size
  int64_t workers = 1;
  int64_t prefetch = 4;
  bool drop_last = true;
  bool shuffle = true;
  uint64_t seed = 0;
  int64_t rank = 0, world_size = 1;
  std::vector<int64_t> subset;  // explicit positions to load, in this order (empty: all)
};

// Batches as float32 NCHW CPU tensors; the trainer moves them to the device.
struct HostBatch {
  std::vector<at::Tensor> views;
  std::vector<int64_t> view_group;
  at::Tensor labels, indices, targets;
};

class Loader {
 public:
  Loader(std::shared_ptr<const DatasetView> data, std::vector<ViewChain> chains,
         std::shared_ptr<const sdk::SampleTransform> transform, LoaderOptions options);
  ~Loader();
  Loader(const Loader&) = delete;
  Loader& operator=(const Loader&) = delete;

  int64_t batches_per_epoch() const;
  int64_t samples_per_epoch() const;
  // Starts producing the batches of `epoch`, beginning at batch `skip` (resume mid-epoch).
  void start_epoch(int64_t epoch, int64_t skip = 0);
  // The next batch of the current epoch, or nullopt at its end. Rethrows a worker's error.
  std::optional<HostBatch> next();
  // Seconds next() spent waiting for data since construction.
  double wait_seconds() const { return wait_seconds_; }

  // Builds one batch synchronously (used by the workers; exposed for tests).
  HostBatch build_batch(int64_t epoch, const std::vector<int64_t>& positions) const;
  // The positions this rank loads in `epoch`, in batch order (the preview shows the first ones).
  // Without sampling weights: a seeded shuffle of every position. With them: as many draws
  // with replacement, each position with probability weight / sum (seeded by (seed, epoch)).
  // Either way the ranks share one order: rank r takes rows [r*b, (r+1)*b) of every global
  // batch of b x world_size rows (b = batch_size, per rank).
  std::vector<int64_t> epoch_order(int64_t epoch) const;
  // Weights by dataset position ([0, size of the data)), used from the next start_epoch on;
  // empty: the plain shuffle. Checked: the right count, finite, >= 0, a positive sum.
  void set_sampling_weights(std::vector<double> weights);
  bool weighted() const { return !cumulative_.empty(); }

 private:
  void stop_workers();
  void worker_loop();

  std::shared_ptr<const DatasetView> data_;
  std::vector<ViewChain> chains_;
  std::shared_ptr<const sdk::SampleTransform> transform_;
  LoaderOptions options_;
  std::vector<double> cumulative_;  // running sums of the sampling weights over the loaded positions

  std::mutex mutex_;
  std::condition_variable produced_, consumed_cv_;
  std::vector<std::thread> threads_;
  std::vector<int64_t> order_;
  int64_t epoch_ = 0, num_batches_ = 0, next_to_build_ = 0, next_to_return_ = 0;
  bool stop_ = false;
  std::map<int64_t, HostBatch> ready_;
  std::exception_ptr error_;
  double wait_seconds_ = 0.0;
};

// Copies an HWC image (CV_8U scaled by 1/255, or CV_32F as is) into a CHW float buffer.
void image_to_chw(const cv::Mat& image, float* out);

}  // namespace ssl::host
