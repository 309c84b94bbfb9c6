#pragma once
// Collapse and representation-quality metrics on a set of embeddings z [N, D].
//
// Shared by the `collapse` evaluator (plugins/evaluator_core) and the host's alarms on
// training batches. Every function accepts z on any device and in any floating dtype; where
// accuracy matters (spectra, variances) the work is done in float64, spectra on the CPU.
// All metrics that say "normalised" first L2-normalise each row: n(z_i) = z_i / ||z_i||.
//
// References:
//  - normalised std: Chen & He 2021 (SimSiam, Sec. 4.1): std of n(z) per dimension, averaged;
//    ~1/sqrt(D) for a healthy isotropic embedding, 0 when completely collapsed.
//  - spectrum: Jing et al. 2022 ("Understanding Dimensional Collapse in Contrastive
//    Self-supervised Learning"): singular values of the embedding covariance, sorted; a sharp
//    drop of the tail shows dimensional collapse.
//  - effective rank: Garrido et al. 2023 (RankMe), Roy & Vetterli 2007.
//  - alignment / uniformity: Wang & Isola 2020.
#include <ATen/core/Tensor.h>

#include <cstdint>

#include "ssl/sdk/export.h"

namespace ssl::nn {

struct NormalizedStd {
  double std = 0.0;         // mean over dimensions of the (unbiased) std of n(z) over samples
  double std_sqrt_d = 0.0;  // std * sqrt(D): ~1 for an isotropic embedding, 0 when collapsed
};

// z [N, D], N >= 2.
SSL_SDK_API NormalizedStd normalized_std(const at::Tensor& z);
// The same std as a detached scalar tensor on z's device and dtype, without a device sync:
// for per-step logging (SimSiam, Chen & He 2021, Fig. 2: about 1/sqrt(D) healthy, 0 collapsed).
SSL_SDK_API at::Tensor normalized_std_scalar(const at::Tensor& z);

// Singular values of the covariance C = (1/N) sum_i (n(z_i) - mean)(n(z_i) - mean)^T [D, D]
// of the normalised embeddings z [N, D] (N >= 2), sorted descending.
// Returns [D] float64 on the CPU. C is symmetric positive semi-definite, so its singular values
// are its eigenvalues. Values below 1e-12 (a std of 1e-6 along that direction: float32
// round-off of the inputs, and negative round-off) are reported as exactly 0.
SSL_SDK_API at::Tensor singular_spectrum(const at::Tensor& z);

// Singular values of the embedding matrix z [N, D] itself (not centred, not normalised),
// sorted descending: [min(N, D)] float64 on the CPU. This is what RankMe scores.
SSL_SDK_API at::Tensor matrix_singular_values(const at::Tensor& z);

// Effective rank of a spectrum (RankMe, Garrido et al. 2023):
//   p_k = sigma_k / sum_j sigma_j + 1e-7,   rank = exp(-sum_k p_k log p_k).
// `singular_values` [K] (any order, non-negative). Lies in [~1, K]; equals m when exactly m
// values are non-zero and equal.
SSL_SDK_API double effective_rank(const at::Tensor& singular_values);

// RankMe of embeddings z [N, D]: effective_rank(matrix_singular_values(z)). The paper
// recommends N >> D samples (it uses 25600).
SSL_SDK_API double rankme(const at::Tensor& z);

// Number of values sigma_k < rel_threshold * max_k sigma_k in `values` [K] (all K when every
// value is 0: a completely collapsed embedding has no direction left).
SSL_SDK_API int64_t count_small_singular(const at::Tensor& values, double rel_threshold);

// Alignment (Wang & Isola 2020): E_i ||n(z1_i) - n(z2_i)||^alpha over positive pairs
// z1, z2 [N, D]. 0 when the two views map to the same point; at most 2^alpha.
SSL_SDK_API double alignment(const at::Tensor& z1, const at::Tensor& z2, double alpha = 2.0);

struct UniformityOptions {
  double t = 2.0;               // Wang & Isola 2020 use t = 2
  int64_t max_samples = 4096;   // larger sets are subsampled (seeded) to this many points
  int64_t chunk_size = 1024;    // rows of the pairwise matrix computed at once
  uint64_t seed = 0;            // subset selection
};

// Uniformity (Wang & Isola 2020): log E_{i != j} exp(-t ||n(z_i) - n(z_j)||^2) over distinct
// pairs of z [N, D], N >= 2. 0 for a completely collapsed set, negative (down to -4 for t = 2 on
// the sphere) the more uniformly the points spread. Computed chunk-wise with a log-sum-exp in
// float64, so the N x N matrix is never held at once. Similarities are computed in float32
// (fast matmul), so the result is accurate to ~1e-6.
SSL_SDK_API double uniformity(const at::Tensor& z, const UniformityOptions& options = {});

}  // namespace ssl::nn
