// The differentiable collectives every Comm gets from its plain ones (comm.h). The backward of
// each is a sum over the processes of the output's gradient, so that averaging the parameter
// gradients afterwards reproduces the single-process gradient.
#include <torch/csrc/autograd/custom_function.h>

#include "ssl/sdk/comm.h"
#include "ssl/sdk/error.h"

namespace ssl::sdk {

namespace {
using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

Comm* comm_of(AutogradContext* ctx) { return reinterpret_cast<Comm*>(ctx->saved_data["comm"].toInt()); }

struct GatherWithGrad : torch::autograd::Function<GatherWithGrad> {
  static at::Tensor forward(AutogradContext* ctx, const at::Tensor& tensor, Comm* comm) {
    ctx->saved_data["comm"] = reinterpret_cast<int64_t>(comm);
    ctx->saved_data["rows"] = tensor.size(0);
    return comm->all_gather(tensor);
  }
  static variable_list backward(AutogradContext* ctx, variable_list grads) {
    Comm* comm = comm_of(ctx);
    const int64_t rows = ctx->saved_data["rows"].toInt();
    at::Tensor total = grads[0].contiguous().clone();
    comm->all_reduce_sum(total);
    return {total.narrow(0, comm->rank() * rows, rows), at::Tensor()};
  }
};

struct ReduceWithGrad : torch::autograd::Function<ReduceWithGrad> {
  static at::Tensor forward(AutogradContext* ctx, const at::Tensor& tensor, Comm* comm) {
    ctx->saved_data["comm"] = reinterpret_cast<int64_t>(comm);
    at::Tensor total = tensor.detach().contiguous().clone();
    comm->all_reduce_sum(total);
    return total;
  }
  static variable_list backward(AutogradContext* ctx, variable_list grads) {
    at::Tensor total = grads[0].contiguous().clone();
    comm_of(ctx)->all_reduce_sum(total);
    return {total, at::Tensor()};
  }
};
}  // namespace

at::Tensor Comm::all_gather_with_grad(const at::Tensor& tensor) {
  SSL_CHECK(tensor.dim() >= 1, "all_gather_with_grad: needs a tensor with rows, got a scalar");
  return GatherWithGrad::apply(tensor, this);
}

at::Tensor Comm::all_reduce_sum_with_grad(const at::Tensor& tensor) { return ReduceWithGrad::apply(tensor, this); }

}  // namespace ssl::sdk
