#include "ssl/nn/pca.h"

#include <ATen/ATen.h>

#include <algorithm>

#include "ssl/sdk/comm.h"
#include "ssl/sdk/error.h"

namespace ssl::nn {

at::Tensor PcaWhitening::apply(const at::Tensor& x) const {
  return at::matmul(x.to(at::kFloat) - mean, projection);
}

PcaWhitening fit_pca_whitening(const at::Tensor& x, int64_t dim, sdk::Comm* comm, double eps) {
  SSL_CHECK(x.dim() == 2, "PCA whitening needs features [N, D], got ", x.dim(), "-D");
  SSL_CHECK(dim >= 1 && dim <= x.size(1), "PCA whitening to ", dim, " dimensions needs 1 <= dim <= D = ", x.size(1),
            " (the features' width)");
  const bool distributed = comm && comm->world_size() > 1;
  const at::Tensor xd = x.to(at::kDouble);
  at::Tensor sums = at::cat({xd.sum(0), at::full({1}, double(x.size(0)), xd.options())});
  if (distributed) comm->all_reduce_sum(sums);
  const double n = sums[-1].item<double>();
  SSL_CHECK(n >= 2, "PCA whitening needs at least 2 rows, got ", n);
  const at::Tensor mean = sums.slice(0, 0, x.size(1)) / n;
  const at::Tensor centred = xd - mean;
  at::Tensor cov = at::matmul(centred.t(), centred);
  if (distributed) comm->all_reduce_sum(cov);
  cov = (cov / n).cpu();
  cov = 0.5 * (cov + cov.t());  // exactly symmetric for the solver
  auto [values, vectors] = at::linalg_eigh(cov);  // ascending
  values = values.flip(0).slice(0, 0, dim).clamp_min(0.0);
  vectors = vectors.flip(1).slice(1, 0, dim);
  // Sign convention: each column's largest-magnitude entry positive.
  const at::Tensor pivot = vectors.abs().argmax(0);
  const at::Tensor sign = at::where(vectors.gather(0, pivot.unsqueeze(0)).squeeze(0) < 0, -1.0, 1.0);
  vectors = vectors * sign.to(at::kDouble);
  const double floor = eps * std::max(values[0].item<double>(), 1e-300);
  PcaWhitening out;
  out.variances = values;
  out.projection = (vectors / (values + floor).sqrt()).to(x.device(), at::kFloat);
  out.mean = mean.to(x.device(), at::kFloat);
  return out;
}

}  // namespace ssl::nn
