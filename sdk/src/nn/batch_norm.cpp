#include "ssl/nn/batch_norm.h"

#include <ATen/ATen.h>
#include <ATen/Context.h>
#include <ATen/core/grad_mode.h>

#include <algorithm>
#include <ostream>
#include <vector>

#include "ssl/sdk/comm.h"
#include "ssl/sdk/error.h"

namespace ssl::nn {

namespace {

// Batch normalisation of x ([N, C, ...]) with the statistics of every rank's x; updates the
// running statistics with `factor` as torch's kernel does in training mode.
at::Tensor synced_batch_norm(const at::Tensor& x, const torch::nn::BatchNormOptions& options, const at::Tensor& weight,
                             const at::Tensor& bias, at::Tensor& running_mean, at::Tensor& running_var, double factor,
                             sdk::Comm& comm) {
  const int64_t channels = x.size(1);
  std::vector<int64_t> dims{0};
  for (int64_t d = 2; d < x.dim(); ++d) dims.push_back(d);
  std::vector<int64_t> shape(static_cast<size_t>(x.dim()), 1);
  shape[1] = channels;

  // This rank's count, mean and sum of squared deviations (two passes, as exact as torch's own).
  const int64_t count = channels > 0 ? x.numel() / channels : 0;
  // With every rank holding at least one value, the global batch has more than one. (A rank that
  // throws here leaves its peers waiting in the collective until the peer timeout ends them.)
  SSL_CHECK(count > 0, "SyncBatchNorm: this rank's input ", x.sizes(),
            " has no values per channel; every rank needs at least one");
  // Half and bfloat16 inputs: statistics in float32 (counts and sums of squares overflow or
  // round there), the output in the input's type.
  const at::Tensor xs = (x.scalar_type() == at::kHalf || x.scalar_type() == at::kBFloat16) ? x.to(at::kFloat) : x;
  const at::Tensor local_mean = xs.sum(dims) / double(count);
  const at::Tensor local_m2 = (xs - local_mean.view(shape)).square().sum(dims);
  const at::Tensor local = at::stack({at::full({channels}, double(count), local_mean.options()), local_mean, local_m2});
  const at::Tensor all = comm.all_gather_with_grad(local).view({comm.world_size(), 3, channels});
  const at::Tensor counts = all.select(1, 0), means = all.select(1, 1), m2s = all.select(1, 2);

  // Chan et al.: M2 = sum_r M2_r + sum_r n_r (mean_r - mean)^2.
  const at::Tensor n = counts.sum(0);
  const at::Tensor mean = (counts * means).sum(0) / n;
  const at::Tensor m2 = m2s.sum(0) + (counts * (means - mean).square()).sum(0);
  const at::Tensor var = m2 / n;

  if (running_mean.defined()) {
    at::NoGradGuard no_grad;
    running_mean.mul_(1 - factor).add_(mean.detach().to(running_mean.dtype()), factor);
    running_var.mul_(1 - factor).add_((m2.detach() / (n - 1)).to(running_var.dtype()), factor);
  }
  at::Tensor y = (xs - mean.view(shape)) * (var + options.eps()).rsqrt().view(shape);
  if (options.affine()) y = y * weight.view(shape) + bias.view(shape);
  return y.to(x.scalar_type());
}

}  // namespace

SyncableBatchNorm::~SyncableBatchNorm() = default;

sdk::Comm* SyncableBatchNorm::synced_comm(bool training) const {
  if (!training || !sync_ || !sync_->active || sync_->comm == nullptr || sync_->comm->world_size() <= 1) return nullptr;
  return sync_->comm;
}

namespace detail {

template <typename Derived>
SyncBatchNormImplBase<Derived>::SyncBatchNormImplBase(const torch::nn::BatchNormOptions& options) : options(options) {
  reset();
}

template <typename Derived>
void SyncBatchNormImplBase<Derived>::reset() {
  const int64_t c = options.num_features();
  if (options.affine()) {
    weight = this->register_parameter("weight", at::empty({c}));
    bias = this->register_parameter("bias", at::empty({c}));
  } else {
    weight = this->register_parameter("weight", at::Tensor(), /*requires_grad=*/false);
    bias = this->register_parameter("bias", at::Tensor(), /*requires_grad=*/false);
  }
  if (options.track_running_stats()) {
    running_mean = this->register_buffer("running_mean", at::zeros({c}));
    running_var = this->register_buffer("running_var", at::ones({c}));
    num_batches_tracked = this->register_buffer("num_batches_tracked", at::zeros({}, at::kLong));
  } else {
    running_mean = this->register_buffer("running_mean", at::Tensor());
    running_var = this->register_buffer("running_var", at::Tensor());
    num_batches_tracked = this->register_buffer("num_batches_tracked", at::Tensor());
  }
  reset_parameters();
}

template <typename Derived>
void SyncBatchNormImplBase<Derived>::reset_running_stats() {
  if (!options.track_running_stats()) return;
  at::NoGradGuard no_grad;
  running_mean.zero_();
  running_var.fill_(1);
  num_batches_tracked.zero_();
}

template <typename Derived>
void SyncBatchNormImplBase<Derived>::reset_parameters() {
  reset_running_stats();
  if (!options.affine()) return;
  at::NoGradGuard no_grad;
  weight.fill_(1);
  bias.zero_();
}

template <typename Derived>
void SyncBatchNormImplBase<Derived>::check_input(const at::Tensor& input, int64_t min_dim, int64_t max_dim,
                                                 const char* expected) const {
  SSL_CHECK(input.dim() >= min_dim && input.dim() <= max_dim, "SyncBatchNorm: expected ", expected, ", got ",
            input.sizes());
  SSL_CHECK(input.size(1) == options.num_features(), "SyncBatchNorm: expected ", options.num_features(),
            " channels (dim 1), got ", input.sizes());
}

// As torch's BatchNormImplBase::forward, then the global batch's statistics when synchronised.
template <typename Derived>
at::Tensor SyncBatchNormImplBase<Derived>::forward(const at::Tensor& input) {
  const bool training = this->is_training();
  double factor = options.momentum().value_or(0.0);
  if (training && options.track_running_stats() && num_batches_tracked.defined()) {
    num_batches_tracked += 1;
    factor = options.momentum() ? *options.momentum() : 1.0 / num_batches_tracked.item<double>();
  }
  if (sdk::Comm* comm = synced_comm(training))
    return synced_batch_norm(input, options, weight, bias, running_mean, running_var, factor, *comm);
  if (training) {  // torch's BatchNorm modules refuse this too (the kernel alone would not)
    int64_t values = input.size(0);
    for (int64_t d = 2; d < input.dim(); ++d) values *= input.size(d);
    SSL_CHECK(values > 1, "SyncBatchNorm: expected more than 1 value per channel when training, got input size ",
              input.sizes());
  }
  return at::batch_norm(input, weight, bias, running_mean, running_var, training || !options.track_running_stats(),
                        factor, options.eps(), at::globalContext().userEnabledCuDNN());
}

template class SyncBatchNormImplBase<SyncBatchNorm1dImpl>;
template class SyncBatchNormImplBase<SyncBatchNorm2dImpl>;

}  // namespace detail

namespace {
void print_layer(std::ostream& stream, const char* name, const torch::nn::BatchNormOptions& o) {
  stream << "ssl::nn::" << name << "(" << o.num_features() << ", eps=" << o.eps() << ", momentum=";
  if (o.momentum()) stream << *o.momentum();
  else stream << "None";
  stream << ", affine=" << (o.affine() ? "true" : "false")
         << ", track_running_stats=" << (o.track_running_stats() ? "true" : "false") << ")";
}
}  // namespace

at::Tensor SyncBatchNorm1dImpl::forward(const at::Tensor& input) {
  check_input(input, 2, 3, "a 2D or 3D input [N, C] or [N, C, L]");
  return SyncBatchNormImplBase::forward(input);
}

void SyncBatchNorm1dImpl::pretty_print(std::ostream& stream) const { print_layer(stream, "SyncBatchNorm1d", options); }

at::Tensor SyncBatchNorm2dImpl::forward(const at::Tensor& input) {
  check_input(input, 4, 4, "a 4D input [N, C, H, W]");
  return SyncBatchNormImplBase::forward(input);
}

void SyncBatchNorm2dImpl::pretty_print(std::ostream& stream) const { print_layer(stream, "SyncBatchNorm2d", options); }

}  // namespace ssl::nn
