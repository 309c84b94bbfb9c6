// ssl/nn/collapse_metrics.h against hand-computed values.
#include <ATen/ATen.h>
#include <catch2/catch.hpp>

#include <cmath>

#include "ssl/nn/collapse_metrics.h"
#include "ssl/sdk/error.h"

namespace nn = ssl::nn;

namespace {

at::Tensor gaussian(int64_t n, int64_t d) { return at::randn({n, d}, at::kFloat); }

// log mean_{i != j} exp(-t ||a_i - a_j||^2) over unit rows, by a plain double loop.
double brute_force_uniformity(const at::Tensor& z, double t) {
  const at::Tensor u = z.to(at::kDouble) / z.to(at::kDouble).norm(2, {1}, true);
  const auto a = u.accessor<double, 2>();
  double sum = 0.0;
  for (int64_t i = 0; i < u.size(0); ++i)
    for (int64_t j = 0; j < u.size(0); ++j) {
      if (i == j) continue;
      double d2 = 0.0;
      for (int64_t k = 0; k < u.size(1); ++k) d2 += (a[i][k] - a[j][k]) * (a[i][k] - a[j][k]);
      sum += std::exp(-t * d2);
    }
  return std::log(sum / (u.size(0) * (u.size(0) - 1.0)));
}

}  // namespace

TEST_CASE("a rank-k embedding has exactly k non-zero singular values and RankMe at most k",
          "[collapse_metrics]") {
  at::manual_seed(1);
  const int64_t k = 5, d = 32;
  const at::Tensor z = at::matmul(gaussian(400, k), gaussian(k, d));
  const at::Tensor spectrum = nn::singular_spectrum(z);
  REQUIRE(spectrum.sizes() == at::IntArrayRef{d});
  REQUIRE(spectrum.scalar_type() == at::kDouble);
  // Sorted descending.
  CHECK(at::all(spectrum.slice(0, 0, d - 1) >= spectrum.slice(0, 1, d)).item<bool>());
  CHECK(nn::count_small_singular(spectrum, 1e-8) == d - k);
  const at::Tensor sv = nn::matrix_singular_values(z);
  CHECK(nn::count_small_singular(sv, 1e-5) == d - k);
  const double r = nn::rankme(z);
  CHECK(r <= k + 1e-3);
  CHECK(r > 1.0);
}

TEST_CASE("RankMe equals k when the k non-zero singular values are equal", "[collapse_metrics]") {
  at::manual_seed(2);
  const int64_t k = 6, d = 20;
  // Rows of a random orthogonal matrix, repeated: the matrix has k equal singular values.
  const at::Tensor q = std::get<0>(at::linalg_qr(at::randn({d, d}, at::kDouble)));
  const at::Tensor z = q.slice(0, 0, k).repeat({10, 1}).to(at::kFloat);
  CHECK(nn::rankme(z) == Approx(static_cast<double>(k)).epsilon(1e-4));
  const at::Tensor values = at::tensor({3.0, 3.0, 3.0, 0.0, 0.0}, at::kDouble);
  CHECK(nn::effective_rank(values) == Approx(3.0).epsilon(1e-4));
  CHECK(nn::effective_rank(at::tensor({1.0, 0.0, 0.0}, at::kDouble)) == Approx(1.0).epsilon(1e-4));
  // Unequal values give less than their count.
  CHECK(nn::effective_rank(at::tensor({4.0, 2.0, 1.0}, at::kDouble)) < 2.9);
}

TEST_CASE("identical embeddings have zero normalised std and an all-small spectrum",
          "[collapse_metrics]") {
  at::manual_seed(3);
  const at::Tensor z = gaussian(1, 16).repeat({50, 1}) * 3.0;
  const nn::NormalizedStd s = nn::normalized_std(z);
  CHECK(s.std == Approx(0.0).margin(1e-12));
  CHECK(s.std_sqrt_d == Approx(0.0).margin(1e-12));
  CHECK(nn::count_small_singular(nn::singular_spectrum(z), 1e-4) == 16);
  // Jitter at float32 resolution is still a complete collapse, not a spectrum of noise.
  const at::Tensor jittered = z + 1e-7 * at::randn(z.sizes());
  CHECK(nn::singular_spectrum(jittered).max().item<double>() == 0.0);
  CHECK(nn::count_small_singular(nn::singular_spectrum(jittered), 1e-4) == 16);
  // A real spread is kept: rows z0 + a_i * 1 span a 2-D subspace (also after normalisation).
  const at::Tensor two_dim = z + at::randn({50, 1}) * at::ones({1, 16});
  CHECK(nn::count_small_singular(nn::singular_spectrum(two_dim), 1e-4) == 14);
}

TEST_CASE("an isotropic Gaussian embedding has std times sqrt(d) near 1 and a near-full rank",
          "[collapse_metrics]") {
  at::manual_seed(4);
  const int64_t d = 64;
  const at::Tensor z = gaussian(8192, d);
  const nn::NormalizedStd s = nn::normalized_std(z);
  CHECK(s.std_sqrt_d == Approx(1.0).margin(0.02));
  CHECK(s.std == Approx(1.0 / std::sqrt(64.0)).margin(0.003));
  CHECK(nn::rankme(z) > 0.95 * d);
  CHECK(nn::count_small_singular(nn::singular_spectrum(z), 1e-2) == 0);
}

TEST_CASE("count_small_singular counts values below the threshold relative to the largest",
          "[collapse_metrics]") {
  const at::Tensor v = at::tensor({10.0, 1.0, 0.005, 0.0}, at::kDouble);
  CHECK(nn::count_small_singular(v, 1e-3) == 2);
  CHECK(nn::count_small_singular(v, 0.2) == 3);
  CHECK(nn::count_small_singular(at::zeros({4}, at::kDouble), 1e-3) == 4);
  CHECK_THROWS_AS(nn::count_small_singular(v, -1.0), ssl::sdk::Error);
}

TEST_CASE("alignment is 0 for identical pairs and 4 for opposite pairs", "[collapse_metrics]") {
  at::manual_seed(5);
  const at::Tensor z = gaussian(100, 8);
  CHECK(nn::alignment(z, z * 2.5) == Approx(0.0).margin(1e-12));
  CHECK(nn::alignment(z, -z) == Approx(4.0).epsilon(1e-9));
  CHECK(nn::alignment(z, -z, 1.0) == Approx(2.0).epsilon(1e-9));
  CHECK_THROWS_AS(nn::alignment(z, gaussian(99, 8)), ssl::sdk::Error);
}

TEST_CASE("uniformity is 0 for a collapsed set and negative for spread points",
          "[collapse_metrics]") {
  at::manual_seed(6);
  const at::Tensor collapsed = gaussian(1, 10).repeat({64, 1});
  CHECK(nn::uniformity(collapsed) == Approx(0.0).margin(1e-6));
  const double spread = nn::uniformity(gaussian(512, 64));
  CHECK(spread < -3.0);
  CHECK(spread > -4.5);
}

TEST_CASE("chunked uniformity matches a brute-force loop over all distinct pairs",
          "[collapse_metrics]") {
  at::manual_seed(7);
  const at::Tensor z = gaussian(37, 5);
  nn::UniformityOptions options;
  options.chunk_size = 8;  // uneven chunks
  options.t = 1.5;
  CHECK(nn::uniformity(z, options) == Approx(brute_force_uniformity(z, 1.5)).epsilon(1e-5));
}

TEST_CASE("uniformity subsamples large sets deterministically and close to the full value",
          "[collapse_metrics]") {
  at::manual_seed(8);
  const at::Tensor z = gaussian(10000, 32);
  nn::UniformityOptions options;
  options.max_samples = 1024;
  options.seed = 3;
  const double a = nn::uniformity(z, options);
  CHECK(a == nn::uniformity(z, options));
  options.max_samples = 4096;
  CHECK(a == Approx(nn::uniformity(z, options)).margin(0.02));
}

TEST_CASE("metrics refuse malformed embeddings with a clear error", "[collapse_metrics]") {
  CHECK_THROWS_WITH(nn::normalized_std(at::zeros({4})), Catch::Contains("expected embeddings [N, D]"));
  CHECK_THROWS_WITH(nn::singular_spectrum(at::zeros({1, 4})), Catch::Contains("at least 2"));
}
