#pragma once
// The 2-D PCA view of test embeddings for the run report.
#include <ATen/core/Tensor.h>

#include <cstdint>
#include <filesystem>
#include <string>

#include "ssl/sdk/features.h"

namespace ssl::host::report {

inline constexpr int64_t kPcaSamples = 2000;     // test samples projected
inline constexpr uint64_t kPcaSeed = 0x9ca2d;   // fixed subset, the same at every epoch

// Projects x [N, D] (N >= 2) onto its two leading principal components: [N, 2] float64 on the
// CPU. Centred, eigendecomposition of the D x D covariance in float64; each component's sign
// is fixed so that its largest-magnitude loading is positive (stable orientation across
// epochs). With D == 1 the second column is 0.
at::Tensor pca_2d(const at::Tensor& x);

// pca_2d of features [N, D] (N >= 2) as CSV lines `x,y,label` (labels [N]).
std::string pca_csv(const at::Tensor& features, const at::Tensor& labels);

// Extracts up to kPcaSamples backbone features of the test split (fixed seed) through
// `features`, projects them with pca_2d and writes <run_dir>/embeddings/test_pca_epoch<NNN>.csv
// with lines `x,y,label` (atomically). Returns the file written.
std::filesystem::path write_test_pca(sdk::FeatureSource& features, const std::filesystem::path& run_dir,
                                     int64_t epoch);

}  // namespace ssl::host::report
