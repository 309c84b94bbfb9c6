#include "ssl/nn/losses.h"

#include <ATen/ATen.h>

#include <ATen/core/grad_mode.h>

#include <limits>

#include "ssl/sdk/comm.h"
#include "ssl/sdk/error.h"

namespace ssl::nn {

namespace {

void check_pair(const char* what, const at::Tensor& a, const at::Tensor& b) {
  SSL_CHECK(a.dim() == 2 && b.dim() == 2 && a.sizes() == b.sizes(), what,
            ": expected two [N, D] tensors of the same shape, got ", a.sizes(), " and ",
            b.sizes());
  SSL_CHECK(a.size(0) > 0, what, ": empty batch");
}

}  // namespace

at::Tensor nt_xent_loss(const at::Tensor& z1, const at::Tensor& z2, double temperature,
                        sdk::Comm& comm) {
  check_pair("nt_xent_loss", z1, z2);
  SSL_CHECK(temperature > 0, "nt_xent_loss: temperature must be > 0, got ", temperature);
  const int64_t n = z1.size(0);
  const int64_t world = comm.world_size();
  const int64_t rank = comm.rank();
  SSL_CHECK(n * world * 2 >= 2, "nt_xent_loss: need at least one positive pair");

  const at::Tensor n1 = l2_normalize(z1);
  const at::Tensor n2 = l2_normalize(z2);
  // Gathered [W*N, D] each; the gradient of the local slice flows back into n1 / n2.
  const at::Tensor g1 = comm.all_gather_with_grad(n1);
  const at::Tensor g2 = comm.all_gather_with_grad(n2);
  SSL_CHECK(g1.size(0) == world * n && g2.size(0) == world * n,
            "nt_xent_loss: all_gather_with_grad returned ", g1.size(0), " rows, expected ",
            world * n, " (same N on every process)");
  const int64_t total = world * n;  // rows per view in the global batch

  const at::Tensor local = at::cat({n1, n2}, 0);     // [2N, D]
  const at::Tensor global = at::cat({g1, g2}, 0);    // [2WN, D]
  at::Tensor logits = at::matmul(local, global.t()) / temperature;  // [2N, 2WN]

  // Column of each local row itself (masked out) and of its positive.
  const auto long_opts = z1.options().dtype(at::kLong);
  const at::Tensor idx = at::arange(n, long_opts) + rank * n;  // local rows in each view
  const at::Tensor self_cols = at::cat({idx, idx + total}, 0);  // [2N]
  const at::Tensor pos_cols = at::cat({idx + total, idx}, 0);   // [2N]
  const at::Tensor self_mask =
      at::zeros_like(logits, logits.options().dtype(at::kBool))
          .scatter_(1, self_cols.unsqueeze(1), true);
  logits = logits.masked_fill(self_mask, -std::numeric_limits<double>::infinity());
  return at::cross_entropy_loss(logits, pos_cols);
}

at::Tensor negative_cosine(const at::Tensor& p, const at::Tensor& z) {
  check_pair("negative_cosine", p, z);
  return -(l2_normalize(p) * l2_normalize(z)).sum(1).mean();
}

at::Tensor byol_loss(const at::Tensor& p, const at::Tensor& z) {
  check_pair("byol_loss", p, z);
  return (2.0 - 2.0 * (l2_normalize(p) * l2_normalize(z)).sum(1)).mean();
}

at::Tensor info_nce(const at::Tensor& q, const at::Tensor& k, double temperature) {
  check_pair("info_nce", q, k);
  SSL_CHECK(temperature > 0, "info_nce: temperature must be > 0, got ", temperature);
  const at::Tensor logits = at::matmul(l2_normalize(q), l2_normalize(k).t()) / temperature;
  return at::cross_entropy_loss(logits, at::arange(q.size(0), q.options().dtype(at::kLong)));
}

at::Tensor info_nce(const at::Tensor& q, const at::Tensor& k, double temperature,
                    sdk::Comm& comm, KeyGather gather) {
  check_pair("info_nce", q, k);
  SSL_CHECK(temperature > 0, "info_nce: temperature must be > 0, got ", temperature);
  const int64_t n = q.size(0);
  const at::Tensor nk = l2_normalize(k);
  const at::Tensor keys = gather == KeyGather::WithGrad ? comm.all_gather_with_grad(nk)
                                                        : comm.all_gather(nk);  // [W*N, D]
  SSL_CHECK(keys.size(0) == comm.world_size() * n, "info_nce: all_gather returned ",
            keys.size(0), " rows, expected ", comm.world_size() * n);
  const at::Tensor logits = at::matmul(l2_normalize(q), keys.t()) / temperature;  // [N, W*N]
  const at::Tensor labels = at::arange(n, q.options().dtype(at::kLong)) + comm.rank() * n;
  return at::cross_entropy_loss(logits, labels);
}

at::Tensor info_nce_with_queue(const at::Tensor& q, const at::Tensor& k, const at::Tensor& queue,
                               double temperature) {
  check_pair("info_nce_with_queue", q, k);
  SSL_CHECK(queue.dim() == 2 && queue.size(1) == q.size(1),
            "info_nce_with_queue: expected queue [K, ", q.size(1), "], got ", queue.sizes());
  SSL_CHECK(temperature > 0, "info_nce_with_queue: temperature must be > 0, got ", temperature);
  const at::Tensor nq = l2_normalize(q);
  const at::Tensor l_pos = (nq * l2_normalize(k)).sum(1, /*keepdim=*/true);  // [N, 1]
  const at::Tensor l_neg = at::matmul(nq, queue.t());                         // [N, K]
  const at::Tensor logits = at::cat({l_pos, l_neg}, 1) / temperature;
  return at::cross_entropy_loss(logits, at::zeros({q.size(0)}, q.options().dtype(at::kLong)));
}

namespace {

// Sum of squares of the off-diagonal entries of a square matrix m [D, D].
at::Tensor off_diagonal_sq_sum(const at::Tensor& m) {
  return m.pow(2).sum() - m.diagonal().pow(2).sum();
}

// Standardises every column over the global batch of `rows` rows (biased variance, as
// BatchNorm1d without affine; across processes as SyncBatchNorm).
at::Tensor batch_standardize(const at::Tensor& z, sdk::Comm& comm, double rows) {
  const bool one = comm.world_size() == 1;
  const at::Tensor mean = one ? z.mean(0, /*keepdim=*/true) : comm.all_reduce_sum_with_grad(z.sum(0, true)) / rows;
  const at::Tensor centred = z - mean;
  const at::Tensor var = one ? centred.pow(2).mean(0, /*keepdim=*/true)
                             : comm.all_reduce_sum_with_grad(centred.pow(2).sum(0, true)) / rows;
  return centred / (var + 1e-5).sqrt();
}

}  // namespace

at::Tensor cross_correlation(const at::Tensor& z1, const at::Tensor& z2, sdk::Comm& comm) {
  check_pair("cross_correlation", z1, z2);
  SSL_CHECK(z1.size(0) > 1, "cross_correlation: need at least 2 rows to normalise along the batch");
  const double rows = double(z1.size(0) * comm.world_size());
  const at::Tensor local = at::matmul(batch_standardize(z1, comm, rows).t(), batch_standardize(z2, comm, rows));
  if (comm.world_size() == 1) return local / rows;
  return comm.all_reduce_sum_with_grad(local) / rows;
}

BarlowTwinsTerms barlow_twins_loss(const at::Tensor& z1, const at::Tensor& z2, double lambda,
                                   sdk::Comm& comm) {
  const at::Tensor c = cross_correlation(z1, z2, comm);
  BarlowTwinsTerms t;
  t.on_diag = (1.0 - c.diagonal()).pow(2).sum();
  t.off_diag = off_diagonal_sq_sum(c);
  t.loss = t.on_diag + lambda * t.off_diag;
  return t;
}

at::Tensor vicreg_invariance(const at::Tensor& z1, const at::Tensor& z2) {
  check_pair("vicreg_invariance", z1, z2);
  return (z1 - z2).pow(2).mean();
}

at::Tensor vicreg_variance(const at::Tensor& z, double eps) {
  SSL_CHECK(z.dim() == 2 && z.size(0) > 1, "vicreg_variance: expected [N, D] with N > 1, got ",
            z.sizes());
  const at::Tensor std = (z.var(0, /*unbiased=*/true) + eps).sqrt();
  return at::relu(1.0 - std).mean();
}

at::Tensor vicreg_covariance(const at::Tensor& z) {
  SSL_CHECK(z.dim() == 2 && z.size(0) > 1, "vicreg_covariance: expected [N, D] with N > 1, got ",
            z.sizes());
  const at::Tensor centred = z - z.mean(0, /*keepdim=*/true);
  const at::Tensor cov = at::matmul(centred.t(), centred) / double(z.size(0) - 1);
  return off_diagonal_sq_sum(cov) / double(z.size(1));
}

VICRegTerms vicreg_loss(const at::Tensor& z1, const at::Tensor& z2, double sim_weight,
                        double var_weight, double cov_weight, sdk::Comm& comm) {
  check_pair("vicreg_loss", z1, z2);
  VICRegTerms t;
  t.invariance = vicreg_invariance(z1, z2);
  const at::Tensor g1 = comm.all_gather_with_grad(z1);
  const at::Tensor g2 = comm.all_gather_with_grad(z2);
  t.variance = 0.5 * (vicreg_variance(g1) + vicreg_variance(g2));
  t.covariance = vicreg_covariance(g1) + vicreg_covariance(g2);
  t.loss = sim_weight * t.invariance + var_weight * t.variance + cov_weight * t.covariance;
  return t;
}

at::Tensor soft_cross_entropy(const at::Tensor& targets, const at::Tensor& logits, double temperature) {
  check_pair("soft_cross_entropy", targets, logits);
  SSL_CHECK(temperature > 0, "soft_cross_entropy: temperature must be > 0, got ", temperature);
  return -(targets * at::log_softmax(logits / temperature, 1)).sum(1).mean();
}

at::Tensor swapped_prediction_loss(const std::vector<at::Tensor>& targets, const std::vector<at::Tensor>& logits,
                                   double temperature) {
  SSL_CHECK(!targets.empty() && logits.size() >= 2 && targets.size() <= logits.size(),
            "swapped_prediction_loss: needs 1..V target crops and V >= 2 views, got ", targets.size(), " and ",
            logits.size());
  at::Tensor total;
  int64_t terms = 0;
  for (size_t i = 0; i < targets.size(); ++i) {
    for (size_t v = 0; v < logits.size(); ++v) {
      if (v == i) continue;
      const at::Tensor term = soft_cross_entropy(targets[i], logits[v], temperature);
      total = total.defined() ? total + term : term;
      ++terms;
    }
  }
  return total / double(terms);
}

at::Tensor l2_normalize(const at::Tensor& x) {
  // Same as F.normalize(x, dim=1, eps=1e-12); no view or contiguity assumptions.
  return x / x.norm(2, {1}, /*keepdim=*/true).clamp_min(1e-12);
}

at::Tensor mean_cosine(const at::Tensor& a, const at::Tensor& b) {
  check_pair("mean_cosine", a, b);
  at::NoGradGuard no_grad;
  return (l2_normalize(a.detach()) * l2_normalize(b.detach())).sum(1).mean();
}

}  // namespace ssl::nn
