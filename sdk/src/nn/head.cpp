#include "ssl/nn/head.h"

#include <torch/nn/modules/activation.h>
#include <torch/nn/modules/linear.h>

#include <ostream>

#include "ssl/nn/batch_norm.h"
#include "ssl/sdk/error.h"

namespace ssl::nn {

MLPHeadImpl::MLPHeadImpl(MLPHeadOptions options) : options_(options) { reset(); }

void MLPHeadImpl::reset() {
  const auto& o = options_;
  SSL_CHECK(o.in_dim() > 0 && o.out_dim() > 0, "MLPHead: in_dim and out_dim must be > 0, got ",
            o.in_dim(), " and ", o.out_dim());
  SSL_CHECK(o.num_layers() >= 1, "MLPHead: num_layers must be >= 1, got ", o.num_layers());
  SSL_CHECK(o.num_layers() == 1 || o.hidden_dim() > 0,
            "MLPHead: hidden_dim must be > 0 with more than one layer, got ", o.hidden_dim());
  layers = torch::nn::Sequential();
  int64_t dim = o.in_dim();
  for (int64_t i = 0; i + 1 < o.num_layers(); ++i) {
    layers->push_back(torch::nn::Linear(
        torch::nn::LinearOptions(dim, o.hidden_dim()).bias(!o.batch_norm())));
    if (o.batch_norm()) layers->push_back(SyncBatchNorm1d(o.hidden_dim()));
    layers->push_back(torch::nn::ReLU(torch::nn::ReLUOptions(true)));
    dim = o.hidden_dim();
  }
  layers->push_back(torch::nn::Linear(
      torch::nn::LinearOptions(dim, o.out_dim()).bias(!o.last_batch_norm())));
  if (o.last_batch_norm())
    layers->push_back(SyncBatchNorm1d(
        torch::nn::BatchNormOptions(o.out_dim()).affine(o.last_bn_affine())));
  register_module("layers", layers);
}

at::Tensor MLPHeadImpl::forward(const at::Tensor& x) {
  SSL_CHECK(x.dim() == 2 && x.size(1) == options_.in_dim(), "MLPHead: expected input [N, ",
            options_.in_dim(), "], got ", x.sizes());
  return layers->forward(x);
}

void MLPHeadImpl::pretty_print(std::ostream& stream) const {
  stream << "ssl::nn::MLPHead(in_dim=" << options_.in_dim() << ", hidden_dim="
         << options_.hidden_dim() << ", out_dim=" << options_.out_dim()
         << ", num_layers=" << options_.num_layers() << ", batch_norm=" << options_.batch_norm()
         << ", last_batch_norm=" << options_.last_batch_norm() << ")";
}

}  // namespace ssl::nn
