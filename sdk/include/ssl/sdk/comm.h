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
  // Same, but the gradient of this process's slice flows back to `tensor`
  // (SimCLR gathers its negatives this way).
  virtual at::Tensor all_gather_with_grad(const at::Tensor& tensor) = 0;
  virtual void broadcast(at::Tensor& tensor, int64_t root) = 0;
  virtual void barrier() = 0;
};

// The single-process implementation: every collective is the identity.
SSL_SDK_API std::shared_ptr<Comm> make_local_comm();

}  // namespace ssl::sdk
