#pragma once
// BatchNorm layers whose batch statistics can span every process of a data-parallel run
// (SyncBatchNorm). Build backbones and heads with these instead of torch::nn::BatchNorm1d/2d:
//
//   bn1_ = register_module("bn1", ssl::nn::SyncBatchNorm2d(planes));
//
// They compute what torch::nn::BatchNorm1d/2d compute (the same options, the same kernel, the
// same parameter and buffer names, so checkpoints and exported encoders do not change) until
// the host turns synchronisation on (`trainer.sync_batch_norm = true` in a run of several
// processes). Then, while the trainer runs a training step, a layer in training mode normalises
// with the mean and variance of the global batch: each rank's count, mean and sum of squared
// deviations are gathered (one all-gather with gradient per forward call) and combined exactly
// (Chan et al.'s pairwise formula), and the running statistics follow the global batch. Outside
// a training step (evaluation, the host's batch checks) and in eval mode nothing is exchanged.
#include <ATen/core/Tensor.h>
#include <torch/nn/cloneable.h>
#include <torch/nn/options/batchnorm.h>
#include <torch/nn/pimpl.h>

#include <iosfwd>
#include <memory>

#include "ssl/sdk/export.h"

namespace ssl::sdk {
class Comm;
}

namespace ssl::nn {

// Shared by every synchronised layer of a run; the host owns it and switches `active` on for
// the duration of each training step (every rank runs the same layers in the same order then).
struct BatchNormSync {
  sdk::Comm* comm = nullptr;
  bool active = false;
};

// What the host looks for in a model: a layer that can take a BatchNormSync.
class SSL_SDK_API SyncableBatchNorm {
 public:
  virtual ~SyncableBatchNorm();
  void set_sync(std::shared_ptr<const BatchNormSync> sync) { sync_ = std::move(sync); }
  const std::shared_ptr<const BatchNormSync>& sync() const { return sync_; }

 protected:
  // The communicator when this forward pass must use the global batch, else nullptr.
  sdk::Comm* synced_comm(bool training) const;

 private:
  std::shared_ptr<const BatchNormSync> sync_;
};

namespace detail {
// The state and forward pass of SyncBatchNorm1d/2d: torch's BatchNorm module, reimplemented on
// the same kernel (torch's own module classes cannot be derived from outside libtorch).
template <typename Derived>
class SSL_SDK_API SyncBatchNormImplBase : public torch::nn::Cloneable<Derived>, public SyncableBatchNorm {
 public:
  explicit SyncBatchNormImplBase(const torch::nn::BatchNormOptions& options);
  at::Tensor forward(const at::Tensor& input);
  void reset() override;
  void reset_running_stats();
  void reset_parameters();

  torch::nn::BatchNormOptions options;
  at::Tensor weight, bias, running_mean, running_var, num_batches_tracked;

 protected:
  void check_input(const at::Tensor& input, int64_t min_dim, int64_t max_dim, const char* expected) const;
};
}  // namespace detail

// [N, C] or [N, C, L] inputs, as torch::nn::BatchNorm1d.
class SSL_SDK_API SyncBatchNorm1dImpl : public detail::SyncBatchNormImplBase<SyncBatchNorm1dImpl> {
 public:
  explicit SyncBatchNorm1dImpl(int64_t num_features) : SyncBatchNorm1dImpl(torch::nn::BatchNormOptions(num_features)) {}
  explicit SyncBatchNorm1dImpl(const torch::nn::BatchNormOptions& options) : SyncBatchNormImplBase(options) {}
  at::Tensor forward(const at::Tensor& input);
  void pretty_print(std::ostream& stream) const override;
};
TORCH_MODULE(SyncBatchNorm1d);

// [N, C, H, W] inputs, as torch::nn::BatchNorm2d.
class SSL_SDK_API SyncBatchNorm2dImpl : public detail::SyncBatchNormImplBase<SyncBatchNorm2dImpl> {
 public:
  explicit SyncBatchNorm2dImpl(int64_t num_features) : SyncBatchNorm2dImpl(torch::nn::BatchNormOptions(num_features)) {}
  explicit SyncBatchNorm2dImpl(const torch::nn::BatchNormOptions& options) : SyncBatchNormImplBase(options) {}
  at::Tensor forward(const at::Tensor& input);
  void pretty_print(std::ostream& stream) const override;
};
TORCH_MODULE(SyncBatchNorm2d);

}  // namespace ssl::nn
