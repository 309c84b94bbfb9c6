#include "ssl/nn/contrastive_metrics.h"

#include <ATen/ATen.h>
#include <ATen/core/grad_mode.h>

#include <cmath>

#include "ssl/nn/losses.h"
#include "ssl/sdk/error.h"

namespace ssl::nn {

PairSimilarity pair_similarity(const at::Tensor& z1, const at::Tensor& z2) {
  SSL_CHECK(z1.dim() == 2 && z1.sizes() == z2.sizes(), "pair_similarity: expected z1, z2 [N, D] of one shape, got ",
            z1.sizes(), " and ", z2.sizes());
  at::NoGradGuard no_grad;
  const int64_t n = z1.size(0);
  const at::Tensor z = l2_normalize(at::cat({z1.detach(), z2.detach()}, 0));
  const at::Tensor sim = at::matmul(z, z.t());                            // [2N, 2N]
  const at::Tensor pos = (z.narrow(0, 0, n) * z.narrow(0, n, n)).sum(1);  // [N]
  // Everything but the diagonal (self) and the two positive entries of each pair.
  const at::Tensor neg_sum = sim.sum() - sim.diagonal().sum() - 2.0 * pos.sum();
  const double neg_count = n > 1 ? double(2 * n) * double(2 * n - 2) : 1.0;
  return {pos.mean(), n > 1 ? neg_sum / neg_count : at::zeros_like(pos.mean())};
}

at::Tensor uniform_loss_ref(int64_t candidates) {
  SSL_CHECK(candidates >= 1, "uniform_loss_ref: needs at least 1 candidate, got ", candidates);
  return at::scalar_tensor(std::log(static_cast<double>(candidates)), at::kDouble);
}

}  // namespace ssl::nn
