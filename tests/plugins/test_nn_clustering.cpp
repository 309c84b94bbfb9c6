// The clustering building blocks of ssl::nn: k-means (seeding, Lloyd steps, empty clusters,
// spherical, sharded over a 2-rank Comm), PCA whitening, Sinkhorn-Knopp codes (marginals, invariance, the
// global batch over 2 ranks) and the clustering scores (NMI, ARI, matching accuracy, size
// entropy; Hungarian matching against brute force).
#include <ATen/ATen.h>
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <thread>
#include <vector>

#include "ssl/nn/clustering_metrics.h"
#include "ssl/nn/kmeans.h"
#include "ssl/nn/pca.h"
#include "ssl/nn/sinkhorn.h"
#include "thread_comm.h"

namespace nn = ssl::nn;

namespace {
at::Tensor column(std::vector<float> v) { return at::tensor(v, at::kFloat).reshape({-1, 1}); }

// Three blobs of `per` points in 2-D around (0,0), (10,0), (0,10); labels 0, 1, 2.
std::pair<at::Tensor, at::Tensor> blobs(int64_t per, uint64_t seed) {
  at::manual_seed(seed);
  const at::Tensor centres = at::tensor(std::vector<float>{0, 0, 10, 0, 0, 10}).reshape({3, 2});
  const at::Tensor y = at::arange(3, at::kLong).repeat_interleave(per);
  return {centres.index_select(0, y) + 0.5 * at::randn({3 * per, 2}), y};
}
}  // namespace

TEST_CASE("k-means: hand-computed centres, inertia, and an empty cluster re-seeded on the farthest point", "[nn][kmeans]") {
  nn::KMeansOptions o;
  o.k = 2;
  const auto two = nn::kmeans(column({0, 1, 10, 11}), o);
  std::vector<float> c(two.centroids.data_ptr<float>(), two.centroids.data_ptr<float>() + 2);
  std::sort(c.begin(), c.end());
  CHECK(c[0] == Approx(0.5));
  CHECK(c[1] == Approx(10.5));
  CHECK(two.inertia == Approx(4 * 0.25));
  CHECK(two.counts.sum().item<int64_t>() == 4);
  CHECK(two.assignments[0].item<int64_t>() == two.assignments[1].item<int64_t>());
  CHECK(two.assignments[1].item<int64_t>() != two.assignments[2].item<int64_t>());

  // Start from {0, 1, 100}: the third centre gets no point; it moves onto 21 (farthest from its
  // centre, 1), and the next steps find the three pairs.
  o.k = 3;
  o.init = column({0, 1, 100});
  const auto r = nn::kmeans(column({0, 1, 10, 11, 20, 21}), o);
  CHECK(r.reseeded == 1);
  CHECK(r.centroids.reshape({-1})[0].item<float>() == Approx(0.5));
  CHECK(r.centroids.reshape({-1})[1].item<float>() == Approx(10.5));
  CHECK(r.centroids.reshape({-1})[2].item<float>() == Approx(20.5));
  CHECK(at::equal(r.counts, at::tensor(std::vector<int64_t>{2, 2, 2})));
  CHECK(at::equal(r.assignments, at::tensor(std::vector<int64_t>{0, 0, 1, 1, 2, 2})));
  CHECK_THROWS_WITH(nn::kmeans(column({0, 1}), nn::KMeansOptions{}), Catch::Contains("at least 10 points"));

  // reseed_empty = false (the ablation): the third cluster keeps its centre and stays empty;
  // the others take 0, 1 and the four far points: centres 0.5 and 15.5.
  o.reseed_empty = false;
  const auto off = nn::kmeans(column({0, 1, 10, 11, 20, 21}), o);
  CHECK(off.reseeded == 0);
  CHECK(at::equal(off.counts, at::tensor(std::vector<int64_t>{2, 4, 0})));
  CHECK(off.centroids.reshape({-1})[1].item<float>() == Approx(15.5));
  CHECK(off.centroids.reshape({-1})[2].item<float>() == Approx(100.0));
}

TEST_CASE("k-means finds separated blobs, the same for a seed, cosine when spherical", "[nn][kmeans]") {
  const auto [x, y] = blobs(50, 3);
  nn::KMeansOptions o;
  o.k = 3;
  o.seed = 7;
  const auto a = nn::kmeans(x, o), b = nn::kmeans(x, o);
  CHECK(at::equal(a.centroids, b.centroids));
  CHECK(at::equal(a.assignments, b.assignments));
  CHECK(nn::clustering_scores(a.assignments, y, 3).nmi == Approx(1.0));
  CHECK(at::equal(nn::assign_to_centroids(x, a.centroids, false), a.assignments));

  // Directions: three bundles of rays of different lengths; cosine k-means ignores the length.
  at::manual_seed(5);
  const at::Tensor angle = at::tensor(std::vector<float>{0.0f, 2.1f, 4.2f}).repeat_interleave(40) + 0.05 * at::randn({120});
  const at::Tensor len = 1 + 9 * at::rand({120});
  const at::Tensor rays = at::stack({angle.cos() * len, angle.sin() * len}, 1);
  o.spherical = true;
  const auto s = nn::kmeans(rays, o);
  CHECK(s.centroids.norm(2, {1}).sub(1).abs().max().item<float>() < 1e-5);
  CHECK(nn::clustering_scores(s.assignments, at::arange(3, at::kLong).repeat_interleave(40), 3).nmi == Approx(1.0));
}

TEST_CASE("k-means over two ranks equals k-means over all points in one process", "[nn][kmeans]") {
  const auto [x, y] = blobs(30, 9);
  nn::KMeansOptions o;
  o.k = 3;
  o.iterations = 10;
  o.init = x.index_select(0, at::tensor(std::vector<int64_t>{0, 1, 2}));  // a poor start: all in blob 0
  const auto whole = nn::kmeans(x, o);
  std::vector<nn::KMeansResult> part(2);
  ssl::test::run_ranks(2, [&](ssl::sdk::Comm& comm) {
    nn::KMeansOptions mine = o;
    mine.comm = &comm;
    part[size_t(comm.rank())] = nn::kmeans(x.slice(0, comm.rank() * 45, (comm.rank() + 1) * 45), mine);
  });
  for (const auto& p : part) {
    CHECK(at::allclose(p.centroids, whole.centroids, 1e-5, 1e-5));
    CHECK(at::equal(p.counts, whole.counts));
    CHECK(p.inertia == Approx(whole.inertia));
  }
  CHECK(at::equal(at::cat({part[0].assignments, part[1].assignments}), whole.assignments));
  // Seeded by rank 0 and broadcast: both ranks start from the same centres.
  nn::KMeansOptions seeded;
  seeded.k = 3;
  seeded.seed = 1;
  ssl::test::run_ranks(2, [&](ssl::sdk::Comm& comm) {
    nn::KMeansOptions mine = seeded;
    mine.comm = &comm;
    part[size_t(comm.rank())] = nn::kmeans(x.slice(0, comm.rank() * 45, (comm.rank() + 1) * 45), mine);
  });
  CHECK(at::equal(part[0].centroids, part[1].centroids));
}

TEST_CASE("Sinkhorn codes: each sample's code sums to 1, prototypes share the batch equally", "[nn][sinkhorn]") {
  at::manual_seed(2);
  const at::Tensor scores = at::randn({32, 8});
  const at::Tensor q = nn::sinkhorn_knopp(scores, 0.05, 3);
  REQUIRE(q.sizes() == scores.sizes());
  CHECK(q.sum(1).sub(1).abs().max().item<float>() < 1e-5);
  CHECK((q >= 0).all().item<bool>());
  // Converged (many iterations): every prototype holds B / K of the mass.
  const at::Tensor qc = nn::sinkhorn_knopp(scores, 0.05, 500);
  CHECK(qc.sum(0).sub(32.0 / 8).abs().max().item<float>() < 1e-3);
  // Equal scores: uniform codes; a constant added to every score changes nothing.
  CHECK(nn::sinkhorn_knopp(at::zeros({4, 5})).sub(0.2).abs().max().item<float>() < 1e-6);
  CHECK(at::allclose(nn::sinkhorn_knopp(scores + 7.0), q, 1e-5, 1e-6));
  // Scores far beyond exp's float range (100 / 0.05) stay finite.
  CHECK(nn::sinkhorn_knopp(scores * 100).isfinite().all().item<bool>());
  // A softmax would put a sample whose scores favour one prototype there; equipartition spreads
  // a batch whose samples all favour prototype 0 over every prototype.
  at::Tensor biased = at::zeros({16, 4});
  biased.select(1, 0).fill_(1.0);
  const at::Tensor spread = nn::sinkhorn_knopp(biased + 0.01 * at::randn({16, 4}), 0.05, 50);
  CHECK(spread.sum(0).sub(4).abs().max().item<float>() < 0.05);
  CHECK_THROWS(nn::sinkhorn_knopp(scores, 0.0));
  CHECK_FALSE(nn::sinkhorn_knopp(scores.clone().requires_grad_()).requires_grad());
}

TEST_CASE("Sinkhorn over two ranks gives each rank its rows of the global batch's codes", "[nn][sinkhorn]") {
  at::manual_seed(4);
  const at::Tensor scores = at::randn({20, 6});
  const at::Tensor whole = nn::sinkhorn_knopp(scores, 0.05, 3);
  std::vector<at::Tensor> part(2);
  ssl::test::run_ranks(2, [&](ssl::sdk::Comm& comm) {
    const int64_t r = comm.rank();
    part[size_t(r)] = nn::sinkhorn_knopp(scores.slice(0, r * 10, (r + 1) * 10), 0.05, 3, &comm);
  });
  CHECK(at::allclose(at::cat(part), whole, 1e-5, 1e-6));
  // Each rank alone would equalise its own half only: a different answer.
  CHECK_FALSE(at::allclose(nn::sinkhorn_knopp(scores.slice(0, 0, 10), 0.05, 3), whole.slice(0, 0, 10), 1e-4, 1e-5));
}

TEST_CASE("clustering scores: NMI, ARI and matching accuracy against hand-computed values", "[nn][clustering]") {
  auto L = [](std::vector<int64_t> v) { return at::tensor(v, at::kLong); };
  // A cluster split in two: NMI = ln2 / (1.25 ln2) = 0.8, ARI = (1 - 1/3) / (3/2 - 1/3) = 4/7.
  auto s = nn::clustering_scores(L({0, 0, 1, 2}), L({0, 0, 1, 1}));
  CHECK(s.nmi == Approx(0.8));
  CHECK(s.ari == Approx(4.0 / 7.0));
  CHECK(s.accuracy == Approx(0.75));
  // Independent partitions: NMI 0, ARI -0.5, half matched.
  s = nn::clustering_scores(L({0, 1, 0, 1}), L({0, 0, 1, 1}));
  CHECK(s.nmi == Approx(0.0).margin(1e-12));
  CHECK(s.ari == Approx(-0.5));
  CHECK(s.accuracy == Approx(0.5));
  // Renamed but identical; unlabelled rows ignored.
  s = nn::clustering_scores(L({2, 2, 0, 0, 1, 1, 1}), L({0, 0, 1, 1, 2, 2, -1}), 3);
  CHECK(s.nmi == Approx(1.0));
  CHECK(s.ari == Approx(1.0));
  CHECK(s.accuracy == Approx(1.0));
  // Size entropy: balanced 1, one giant cluster 0, K from num_clusters (empty clusters count).
  CHECK(nn::size_entropy(L({5, 5})) == Approx(1.0));
  CHECK(nn::size_entropy(L({3, 1})) == Approx(0.811278).epsilon(1e-5));
  CHECK(nn::clustering_scores(L({0, 0, 0, 0}), L({0, 1, 0, 1}), 4).size_entropy == Approx(0.0));
  CHECK_THROWS(nn::clustering_scores(L({0, 1}), L({0})));
}

TEST_CASE("max-weight matching equals brute force on square and rectangular matrices", "[nn][clustering]") {
  at::manual_seed(8);
  for (auto [rows, cols] : {std::pair<int, int>{5, 5}, {3, 5}, {5, 3}, {1, 4}, {6, 6}}) {
    for (int trial = 0; trial < 5; ++trial) {
      const at::Tensor w = (at::rand({rows, cols}) * 100).round();
      std::vector<std::vector<double>> m(static_cast<size_t>(rows), std::vector<double>(static_cast<size_t>(cols)));
      for (int i = 0; i < rows; ++i)
        for (int j = 0; j < cols; ++j) m[size_t(i)][size_t(j)] = w[i][j].item<double>();
      const auto match = nn::max_weight_matching(m);
      double got = 0;
      std::vector<bool> used(static_cast<size_t>(cols), false);
      int pairs = 0;
      for (int i = 0; i < rows; ++i) {
        if (match[size_t(i)] < 0) continue;
        REQUIRE_FALSE(used[size_t(match[size_t(i)])]);
        used[size_t(match[size_t(i)])] = true;
        got += m[size_t(i)][size_t(match[size_t(i)])];
        ++pairs;
      }
      CHECK(pairs == std::min(rows, cols));
      // brute force over every injective map of the smaller side
      const int n = std::max(rows, cols);
      std::vector<int> perm(static_cast<size_t>(n));
      std::iota(perm.begin(), perm.end(), 0);
      double best = 0;
      do {
        double total = 0;
        for (int i = 0; i < rows; ++i)
          if (perm[size_t(i)] < cols) total += m[size_t(i)][size_t(perm[size_t(i)])];
        best = std::max(best, total);
      } while (std::next_permutation(perm.begin(), perm.end()));
      CHECK(got == Approx(best));
    }
  }
  CHECK(nn::max_weight_matching({}).empty());
}

TEST_CASE("PCA whitening: unit, uncorrelated components, largest first, the same over two ranks", "[nn][pca]") {
  at::manual_seed(71);
  // 4-D data with variances 16, 4, 1, 0.01 along a random rotation, shifted by 3.
  const at::Tensor q = std::get<0>(at::linalg_qr(at::randn({4, 4}, at::kDouble)));
  const at::Tensor x = (at::randn({2000, 4}, at::kDouble) * at::tensor({4.0, 2.0, 1.0, 0.1}, at::kDouble)).matmul(q.t()) + 3.0;
  const auto pca = nn::fit_pca_whitening(x.to(at::kFloat), 2);
  CHECK(pca.projection.sizes() == at::IntArrayRef({4, 2}));
  CHECK(pca.variances[0].item<double>() == Approx(16.0).epsilon(0.1));
  CHECK(pca.variances[1].item<double>() == Approx(4.0).epsilon(0.1));
  const at::Tensor y = pca.apply(x.to(at::kFloat)).to(at::kDouble);
  CHECK(at::allclose(y.mean(0), at::zeros({2}, at::kDouble), 0, 1e-4));
  const at::Tensor cov = y.t().matmul(y) / double(y.size(0));
  CHECK(at::allclose(cov, at::eye(2, at::kDouble), 0, 1e-3));
  // The first component is the data's largest direction (up to the sign convention).
  CHECK(std::abs(at::dot(pca.projection.select(1, 0).to(at::kDouble) / pca.projection.select(1, 0).norm().to(at::kDouble), q.select(1, 0)).item<double>()) ==
        Approx(1.0).margin(0.01));

  // Each rank holding half the rows fits the same transform as one process with all of them.
  auto group = std::make_shared<ssl::test::ThreadGroup>(2);
  std::vector<nn::PcaWhitening> out(2);
  std::vector<std::thread> threads;
  for (int64_t rank = 0; rank < 2; ++rank)
    threads.emplace_back([&, rank] {
      ssl::test::ThreadComm comm(group, rank);
      out[size_t(rank)] = nn::fit_pca_whitening(x.to(at::kFloat).slice(0, rank * 1000, (rank + 1) * 1000), 2, &comm);
    });
  for (auto& t : threads) t.join();
  for (const auto& o : out) {
    CHECK(at::allclose(o.projection, pca.projection, 1e-4, 1e-5));
    CHECK(at::allclose(o.mean, pca.mean, 1e-5, 1e-5));
  }
  CHECK_THROWS_WITH(nn::fit_pca_whitening(x.to(at::kFloat), 5), Catch::Contains("1 <= dim <= D = 4"));
}
