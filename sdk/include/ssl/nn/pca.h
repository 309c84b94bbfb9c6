#pragma once
// PCA whitening of features, for clustering methods (DeepCluster clusters PCA-whitened,
// L2-normalised backbone features). Fitted on the rows of x; with a Comm of several processes
// each holds a shard of the rows and the mean and covariance sums are all-reduced, so every
// process gets the same transform (the eigendecomposition then runs on identical input).
//
//   y = (x - mean) V_d diag(1 / sqrt(lambda_d + eps * lambda_max))
//
// V_d: the eigenvectors of the d largest eigenvalues lambda_d of the covariance (float64),
// largest first, each column's sign fixed so its largest-magnitude entry is positive (the
// same transform for the same data on every machine). eps keeps near-zero directions (rank-deficient
// data: fewer rows than dimensions) from being blown up.
#include <ATen/core/Tensor.h>

#include <cstdint>

#include "ssl/sdk/export.h"

namespace ssl::sdk {
class Comm;
}

namespace ssl::nn {

struct SSL_SDK_API PcaWhitening {
  at::Tensor mean;        // [D] float32 on x's device
  at::Tensor projection;  // [D, d] float32: V_d scaled by 1 / sqrt(lambda + eps * lambda_max)
  at::Tensor variances;   // [d] float64 on the CPU: lambda_d, largest first
  // [N, D] -> [N, d]: whitened (unit variance, uncorrelated over the fitted rows).
  at::Tensor apply(const at::Tensor& x) const;
};

// x [N, D] (N >= 2 over all processes), 1 <= dim <= D.
SSL_SDK_API PcaWhitening fit_pca_whitening(const at::Tensor& x, int64_t dim, sdk::Comm* comm = nullptr,
                                           double eps = 1e-6);

}  // namespace ssl::nn
