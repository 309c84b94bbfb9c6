#pragma once
// Distribution as an interface. Methods that need the global batch (SimCLR negatives,
// Barlow Twins' cross-correlation, VICReg statistics, SwAV's Sinkhorn, MoCo's queue) go
// through it from day one; world size 1 is the default and costs nothing.
#include <ATen/core/Tensor.h>

#include <cstdint>
#include <memory>

#include "ssl/sdk/export.h"

namespace ssl::sdk {

class SSL_SDK_API Comm {
 public:
  virtual ~Comm();
  virtual int64_t rank() const = 0;
  virtual int64_t world_size() const = 0;
  // In-place sum over all processes.
  virtual void all_reduce_sum(at::Tensor& tensor) = 0;
  // Concatenation along dim 0 of every process's tensor, in rank order. No gradient flows.
  virtual at::Tensor all_gather(const at::Tensor& tensor) = 0;
  // Same, but differentiable (SimCLR gathers its negatives this way): the gradient of the
  // whole output is summed over the processes and this process's rows of it flow back to
  // `tensor`. The default builds it from all_gather and all_reduce_sum.
  virtual at::Tensor all_gather_with_grad(const at::Tensor& tensor);
  virtual void broadcast(at::Tensor& tensor, int64_t root) = 0;
  virtual void barrier() = 0;
  // The sum over all processes, differentiable: the gradient is summed over the processes too
  // (as torch.distributed.nn's all_reduce), so a loss that every process computes from the
  // global sum (Barlow Twins' cross-correlation, global batch statistics) trains each process's
  // share correctly under gradient averaging. The default builds it from all_reduce_sum.
  virtual at::Tensor all_reduce_sum_with_grad(const at::Tensor& tensor);
};

// The gradient convention of a data-parallel run: parameter gradients are averaged over the
// processes, and each process's loss is either its own share of the global loss (a mean over
// its samples, with gathered negatives) or the global loss itself computed from
// all_reduce_sum_with_grad; both give the single-process gradient.

// The single-process implementation: every collective is the identity.
SSL_SDK_API std::shared_ptr<Comm> make_local_comm();

}  // namespace ssl::sdk
