#include "ssl/nn/sinkhorn.h"

#include <ATen/ATen.h>

#include <cmath>

#include "ssl/sdk/comm.h"
#include "ssl/sdk/error.h"

namespace ssl::nn {

at::Tensor sinkhorn_knopp(const at::Tensor& scores, double epsilon, int64_t iterations, sdk::Comm* comm) {
  SSL_CHECK(scores.dim() == 2 && scores.size(0) >= 1 && scores.size(1) >= 1, "sinkhorn_knopp: scores must be [B, K], got ",
            scores.sizes());
  SSL_CHECK(epsilon > 0, "sinkhorn_knopp: epsilon must be > 0, got ", epsilon);
  SSL_CHECK(iterations >= 1, "sinkhorn_knopp: iterations must be >= 1, got ", iterations);
  at::NoGradGuard no_grad;
  const bool distributed = comm && comm->world_size() > 1;
  // In the log domain: exp(scores / epsilon) under- and overflows float32 long before the
  // scores are extreme (a cosine of -1 at epsilon 0.05 is exp(-20); a sample whose every entry
  // underflows would get a code of 0/0). The first normalisation by the total is a constant and
  // cancels in the first prototype step, so it is left out.
  at::Tensor l = scores.detach().to(at::kFloat) / epsilon;  // [B_local, K]: log of Q^T before normalising
  at::Tensor batch = at::full({1}, double(l.size(0)), l.options());
  if (distributed) comm->all_reduce_sum(batch);
  const double log_k = std::log(double(l.size(1)));
  const at::Tensor log_b = batch.log();
  // log sum over the global batch of exp(x), per prototype: [1, K]
  auto log_sum_over_samples = [&](const at::Tensor& x) {
    at::Tensor top = std::get<0>(x.max(0, true));
    if (distributed) top = std::get<0>(comm->all_gather(top).max(0, true));
    at::Tensor sum = (x - top).exp().sum(0, true);
    if (distributed) comm->all_reduce_sum(sum);
    return top + sum.log();
  };
  for (int64_t it = 0; it < iterations; ++it) {
    l = l - log_sum_over_samples(l) - log_k;        // every prototype: 1/K of the mass
    l = l - l.logsumexp({1}, true) - log_b;           // every sample: 1/B of the mass
  }
  return (l + log_b).exp().contiguous();
}

}  // namespace ssl::nn
