#include "ssl/nn/collapse_metrics.h"

#include <ATen/ATen.h>
#include <ATen/core/grad_mode.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <vector>

#include "ssl/sdk/error.h"
#include "ssl/sdk/rng.h"

namespace ssl::nn {
namespace {

constexpr double kNormEps = 1e-12;   // guards the L2 normalisation of zero rows
constexpr double kRankMeEps = 1e-7;  // Garrido et al. 2023
// Covariance eigenvalues of unit vectors (trace <= 1) below this (std 1e-6 along a direction)
// are float32 round-off of the inputs, not signal: they are reported as exactly 0, so that a
// completely collapsed embedding has an all-zero spectrum rather than a spectrum of noise.
constexpr double kSpectrumFloor = 1e-12;

void check_matrix(const at::Tensor& z, const char* what, int64_t min_rows) {
  SSL_CHECK(z.defined(), what, ": embeddings are undefined");
  SSL_CHECK(z.dim() == 2, what, ": expected embeddings [N, D], got ", z.dim(), " dimensions");
  SSL_CHECK(z.size(0) >= min_rows, what, ": needs at least ", min_rows, " samples, got ",
            z.size(0));
  SSL_CHECK(z.size(1) >= 1, what, ": embeddings have no dimensions");
  SSL_CHECK(z.is_floating_point(), what, ": embeddings must be floating point, got ",
            z.scalar_type());
}

// Rows scaled to unit L2 norm, in float64 on z's device.
at::Tensor normalize_rows(const at::Tensor& z) {
  const at::Tensor zd = z.to(at::kDouble);
  return zd / zd.norm(2, {1}, /*keepdim=*/true).clamp_min(kNormEps);
}

// Eigenvalues of a symmetric PSD matrix, descending, negatives (round-off) clamped to 0.
at::Tensor psd_eigenvalues_desc(const at::Tensor& sym) {
  const at::Tensor ascending = at::linalg_eigvalsh(sym);
  return ascending.flip({0}).clamp_min(0.0).contiguous();
}

}  // namespace

at::Tensor normalized_std_scalar(const at::Tensor& z) {
  check_matrix(z, "normalized_std", 2);
  at::NoGradGuard no_grad;
  const at::Tensor zd = z.detach();
  const at::Tensor n = zd / zd.norm(2, {1}, /*keepdim=*/true).clamp_min(kNormEps);
  return n.std(0, /*unbiased=*/true).mean();
}

NormalizedStd normalized_std(const at::Tensor& z) {
  const double s = normalized_std_scalar(z.to(at::kDouble)).item<double>();
  return {s, s * std::sqrt(static_cast<double>(z.size(1)))};
}

at::Tensor singular_spectrum(const at::Tensor& z) {
  check_matrix(z, "singular_spectrum", 2);
  const at::Tensor n = normalize_rows(z);
  const at::Tensor centred = n - n.mean(0, /*keepdim=*/true);
  // The covariance is D x D and cheap to form on the input device; its spectrum is computed
  // on the CPU in float64.
  const at::Tensor cov = at::matmul(centred.t(), centred) / static_cast<double>(z.size(0));
  const at::Tensor eig = psd_eigenvalues_desc(cov.to(at::kCPU));
  return eig.masked_fill(eig < kSpectrumFloor, 0.0);
}

at::Tensor matrix_singular_values(const at::Tensor& z) {
  check_matrix(z, "matrix_singular_values", 1);
  const at::Tensor zd = z.to(at::kDouble);
  // sigma_k(Z) = sqrt(lambda_k(Z^T Z)) = sqrt(lambda_k(Z Z^T)): take the smaller Gram matrix.
  const at::Tensor gram = z.size(0) >= z.size(1) ? at::matmul(zd.t(), zd) : at::matmul(zd, zd.t());
  return psd_eigenvalues_desc(gram.to(at::kCPU)).sqrt();
}

double effective_rank(const at::Tensor& singular_values) {
  SSL_CHECK(singular_values.defined() && singular_values.dim() == 1 && singular_values.numel() > 0,
            "effective_rank: expected a non-empty 1-D tensor of singular values");
  const at::Tensor s = singular_values.to(at::kCPU, at::kDouble).clamp_min(0.0);
  const double total = s.sum().item<double>();
  const at::Tensor p = (total > 0.0 ? s / total : at::zeros_like(s)) + kRankMeEps;
  return std::exp(-(p * p.log()).sum().item<double>());
}

double rankme(const at::Tensor& z) { return effective_rank(matrix_singular_values(z)); }

int64_t count_small_singular(const at::Tensor& values, double rel_threshold) {
  SSL_CHECK(values.defined() && values.dim() == 1 && values.numel() > 0,
            "count_small_singular: expected a non-empty 1-D tensor of singular values");
  SSL_CHECK(rel_threshold >= 0.0, "count_small_singular: rel_threshold must be >= 0, got ",
            rel_threshold);
  const at::Tensor v = values.to(at::kCPU, at::kDouble);
  const double largest = v.max().item<double>();
  if (largest <= 0.0) return v.numel();
  return (v < rel_threshold * largest).sum().item<int64_t>();
}

double alignment(const at::Tensor& z1, const at::Tensor& z2, double alpha) {
  check_matrix(z1, "alignment", 1);
  check_matrix(z2, "alignment", 1);
  SSL_CHECK(z1.sizes() == z2.sizes(), "alignment: the two views must have the same shape, got ",
            z1.sizes(), " and ", z2.sizes());
  SSL_CHECK(alpha > 0.0, "alignment: alpha must be > 0, got ", alpha);
  const at::Tensor d = (normalize_rows(z1) - normalize_rows(z2.to(z1.device()))).norm(2, {1});
  return d.pow(alpha).mean().item<double>();
}

double uniformity(const at::Tensor& z, const UniformityOptions& options) {
  check_matrix(z, "uniformity", 2);
  SSL_CHECK(options.t > 0.0, "uniformity: t must be > 0, got ", options.t);
  SSL_CHECK(options.max_samples >= 2, "uniformity: max_samples must be >= 2, got ",
            options.max_samples);
  SSL_CHECK(options.chunk_size >= 1, "uniformity: chunk_size must be >= 1, got ",
            options.chunk_size);
  at::Tensor points = z;
  const int64_t n_all = z.size(0);
  if (n_all > options.max_samples) {
    // Seeded subset: a partial Fisher-Yates shuffle, then sorted for a stable order.
    std::vector<int64_t> order(static_cast<size_t>(n_all));
    std::iota(order.begin(), order.end(), int64_t{0});
    sdk::Rng rng(options.seed);
    for (int64_t i = 0; i < options.max_samples; ++i)
      std::swap(order[static_cast<size_t>(i)], order[static_cast<size_t>(rng.randint(i, n_all))]);
    order.resize(static_cast<size_t>(options.max_samples));
    std::sort(order.begin(), order.end());
    const at::Tensor idx = at::tensor(order, at::TensorOptions().dtype(at::kLong)).to(z.device());
    points = z.index_select(0, idx);
  }
  const int64_t n = points.size(0);
  // Cosine similarities in float32 on the input device (fast matmul), exponents in float64:
  // ||a - b||^2 = 2 - 2 a.b for unit vectors.
  const at::Tensor unit = normalize_rows(points).to(at::kFloat);
  std::vector<at::Tensor> chunk_lse;
  for (int64_t start = 0; start < n; start += options.chunk_size) {
    const int64_t len = std::min(options.chunk_size, n - start);
    const at::Tensor sim = at::matmul(unit.narrow(0, start, len), unit.t()).to(at::kDouble);
    at::Tensor expo = (2.0 * sim - 2.0).clamp_max(0.0) * options.t;  // -t ||a - b||^2
    // Exclude i == j: the diagonal of this row block sits in columns [start, start + len).
    expo.narrow(1, start, len).diagonal().fill_(-std::numeric_limits<double>::infinity());
    chunk_lse.push_back(at::logsumexp(expo.reshape({-1}), {0}, /*keepdim=*/true));
  }
  const double lse = at::logsumexp(at::cat(chunk_lse), {0}).item<double>();
  return lse - std::log(static_cast<double>(n) * static_cast<double>(n - 1));
}

}  // namespace ssl::nn
