#pragma once
// Data-parallel gradients: after the backward pass every trained parameter's gradient is the
// average over the ranks, as PyTorch DDP's reducer leaves it. The parameters are grouped into
// buckets (in reverse order, roughly the order the backward pass produces their gradients; the
// first bucket small so that communication starts early). A hook per parameter copies its
// gradient into its bucket as autograd produces it; a full bucket's all-reduce starts at once
// and runs on the process group's threads while the backward pass goes on. Buckets start in
// index order on every rank (collectives must match), so one late bucket delays the later ones
// but never reorders them.
//
// Every rank must produce gradients for the same parameters each step (the same code path, as
// DDP without find_unused_parameters); a parameter none produced keeps no gradient.
#include <ATen/core/Tensor.h>

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "dist/process_group.h"

namespace ssl::host {

struct BucketSizes {
  int64_t first_bytes = int64_t(1) << 20;  // PyTorch DDP's defaults: 1 MiB, then 25 MiB
  int64_t bytes = int64_t(25) << 20;
};

class GradReducer {
 public:
  // `params`: the trained parameters (requires_grad), in registration order; CPU tensors of one
  // floating dtype per bucket.
  GradReducer(std::vector<at::Tensor> params, ProcessGroupComm& comm, BucketSizes sizes = {});
  ~GradReducer();
  GradReducer(const GradReducer&) = delete;
  GradReducer& operator=(const GradReducer&) = delete;

  // Before each backward pass.
  void prepare();
  // After it: starts what is left, waits for every bucket and writes the averages into .grad.
  void finish();
  // Bucket count and the parameters of each, for tests and the start-up banner.
  std::vector<std::vector<size_t>> bucket_params() const;
  // Seconds finish() spent waiting for communication since construction (the part of the
  // all-reduces the backward pass did not hide).
  double wait_seconds() const { return wait_seconds_; }

 private:
  struct Bucket {
    std::vector<size_t> params;
    std::vector<int64_t> offsets;
    at::Tensor flat;
    size_t pending = 0;  // parameters whose gradient has not arrived this step
    std::unique_ptr<ProcessGroupComm::Pending> work;
  };
  void on_grad(size_t param, const at::Tensor& grad);
  void launch_ready();  // with mutex_ held

  std::vector<at::Tensor> params_;
  ProcessGroupComm& comm_;
  std::vector<Bucket> buckets_;
  std::vector<size_t> bucket_of_;   // parameter -> bucket
  std::vector<size_t> slot_of_;     // parameter -> index within its bucket
  std::vector<bool> arrived_;       // this step
  std::vector<unsigned> hooks_;
  size_t next_launch_ = 0;
  bool active_ = false;
  double wait_seconds_ = 0.0;
  std::mutex mutex_;
};

}  // namespace ssl::host
