#include "dist/grad_reducer.h"

#include <ATen/ATen.h>

#include <chrono>

#include "ssl/sdk/error.h"

namespace ssl::host {

GradReducer::GradReducer(std::vector<at::Tensor> params, ProcessGroupComm& comm, BucketSizes sizes)
    : params_(std::move(params)), comm_(comm) {
  SSL_CHECK(sizes.first_bytes > 0 && sizes.bytes > 0, "gradient buckets must have a positive size");
  bucket_of_.resize(params_.size());
  slot_of_.resize(params_.size());
  arrived_.assign(params_.size(), false);
  // Reverse registration order; a bucket holds one dtype and closes at its size.
  Bucket open;
  int64_t open_bytes = 0;
  auto close = [&] {
    if (open.params.empty()) return;
    buckets_.push_back(std::move(open));
    open = Bucket();
    open_bytes = 0;
  };
  for (size_t k = params_.size(); k-- > 0;) {
    const at::Tensor& p = params_[k];
    SSL_CHECK(p.requires_grad() && p.is_floating_point(), "gradient reducer: parameter ", k,
              " is not a trained floating-point tensor");
    SSL_CHECK(p.is_cpu(), "gradient reducer: parameter ", k, " is on ", p.device(),
              "; the Gloo backend reduces CPU tensors (CUDA needs NCCL, not in this build)");
    if (!open.params.empty() && params_[open.params.front()].scalar_type() != p.scalar_type()) close();
    open.params.push_back(k);
    open_bytes += p.numel() * static_cast<int64_t>(p.element_size());
    if (open_bytes >= (buckets_.empty() ? sizes.first_bytes : sizes.bytes)) close();
  }
  close();
  for (size_t b = 0; b < buckets_.size(); ++b) {
    Bucket& bucket = buckets_[b];
    int64_t numel = 0;
    for (size_t s = 0; s < bucket.params.size(); ++s) {
      const size_t k = bucket.params[s];
      bucket_of_[k] = b;
      slot_of_[k] = s;
      bucket.offsets.push_back(numel);
      numel += params_[k].numel();
    }
    bucket.flat = at::zeros({numel}, params_[bucket.params.front()].options().requires_grad(false));
  }
  for (size_t k = 0; k < params_.size(); ++k)
    hooks_.push_back(params_[k].register_hook([this, k](const at::Tensor& grad) { on_grad(k, grad); }));
}

GradReducer::~GradReducer() {
  for (size_t k = 0; k < params_.size(); ++k) params_[k].remove_hook(hooks_[k]);
  // A step abandoned by an error may leave all-reduces in flight: they write into our buckets.
  for (auto& b : buckets_)
    if (b.work) try {
        b.work->wait();
      } catch (...) {
      }
}

void GradReducer::prepare() {
  std::lock_guard<std::mutex> lock(mutex_);
  SSL_CHECK(!active_, "gradient reducer: prepare() twice without finish()");
  active_ = true;
  next_launch_ = 0;
  arrived_.assign(params_.size(), false);
  for (auto& b : buckets_) {
    b.pending = b.params.size();
    b.work.reset();
  }
}

void GradReducer::on_grad(size_t k, const at::Tensor& grad) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (!active_) return;  // a backward pass outside training steps (an evaluator's, a test's)
  Bucket& b = buckets_[bucket_of_[k]];
  const size_t s = slot_of_[k];
  SSL_CHECK(!arrived_[k], "gradient reducer: parameter ", k, " received two gradients in one backward pass");
  at::Tensor slot = b.flat.narrow(0, b.offsets[s], params_[k].numel());
  slot.copy_(grad.reshape({-1}));
  arrived_[k] = true;
  --b.pending;
  launch_ready();
}

void GradReducer::launch_ready() {
  while (next_launch_ < buckets_.size() && buckets_[next_launch_].pending == 0) {
    Bucket& b = buckets_[next_launch_];
    b.work = comm_.all_reduce_sum_async(b.flat, "the gradient all-reduce of bucket " + std::to_string(next_launch_));
    ++next_launch_;
  }
}

void GradReducer::finish() {
  std::unique_lock<std::mutex> lock(mutex_);
  SSL_CHECK(active_, "gradient reducer: finish() without prepare()");
  active_ = false;
  // Parameters without a gradient this step contribute zeros (every rank skips the same ones).
  for (auto& b : buckets_) {
    for (size_t s = 0; s < b.params.size(); ++s)
      if (!arrived_[b.params[s]]) b.flat.narrow(0, b.offsets[s], params_[b.params[s]].numel()).zero_();
    b.pending = 0;
  }
  launch_ready();
  lock.unlock();
  const auto start = std::chrono::steady_clock::now();
  for (auto& b : buckets_) {
    b.work->wait();
    b.work.reset();
  }
  wait_seconds_ += std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const double scale = 1.0 / double(comm_.world_size());
  for (size_t k = 0; k < params_.size(); ++k) {
    if (!arrived_[k]) continue;
    const Bucket& b = buckets_[bucket_of_[k]];
    const at::Tensor avg = b.flat.narrow(0, b.offsets[slot_of_[k]], params_[k].numel()).view(params_[k].sizes());
    at::Tensor& g = params_[k].mutable_grad();
    if (g.defined()) g.copy_(avg).mul_(scale);
    else g = avg.mul(scale);
  }
}

std::vector<std::vector<size_t>> GradReducer::bucket_params() const {
  std::vector<std::vector<size_t>> out;
  for (const auto& b : buckets_) out.push_back(b.params);
  return out;
}

}  // namespace ssl::host
