// Shared losses of ssl/nn/losses.h against independent, explicit computations.
#include <ATen/ATen.h>
#include <catch2/catch.hpp>
#include <torch/utils.h>

#include <cmath>
#include <memory>
#include <utility>
#include <vector>

#include "ssl/nn/losses.h"
#include "ssl/sdk/comm.h"

namespace {

// NT-Xent by the definition, one row at a time, in double precision.
double nt_xent_by_loop(const at::Tensor& z1, const at::Tensor& z2, double tau) {
  const at::Tensor z = at::cat({z1, z2}, 0).to(at::kDouble);
  const int64_t m = z.size(0), n = z1.size(0);
  std::vector<std::vector<double>> u(m);
  for (int64_t i = 0; i < m; ++i) {
    double norm = 0;
    for (int64_t d = 0; d < z.size(1); ++d) norm += std::pow(z[i][d].item<double>(), 2);
    for (int64_t d = 0; d < z.size(1); ++d) u[i].push_back(z[i][d].item<double>() / std::sqrt(norm));
  }
  auto cos = [&](int64_t a, int64_t b) {
    double s = 0;
    for (size_t d = 0; d < u[a].size(); ++d) s += u[a][d] * u[b][d];
    return s;
  };
  double total = 0;
  for (int64_t i = 0; i < m; ++i) {
    const int64_t pos = i < n ? i + n : i - n;
    double denom = 0;
    for (int64_t j = 0; j < m; ++j)
      if (j != i) denom += std::exp(cos(i, j) / tau);
    total += -std::log(std::exp(cos(i, pos) / tau) / denom);
  }
  return total / double(m);
}

// A fake process group of two: this process is `rank`; the other rank's tensors are handed
// out in the order nt_xent_loss gathers (z1 first, then z2).
class TwoRankComm final : public ssl::sdk::Comm {
 public:
  TwoRankComm(int64_t rank, std::vector<at::Tensor> other) : rank_(rank), other_(std::move(other)) {}
  int64_t rank() const override { return rank_; }
  int64_t world_size() const override { return 2; }
  void all_reduce_sum(at::Tensor&) override {}
  at::Tensor all_gather(const at::Tensor& t) override { return gather(t.detach()); }
  at::Tensor all_gather_with_grad(const at::Tensor& t) override { return gather(t); }
  void broadcast(at::Tensor&, int64_t) override {}
  void barrier() override {}

 private:
  at::Tensor gather(const at::Tensor& local) {
    const at::Tensor other = other_.at(calls_++);
    return rank_ == 0 ? at::cat({local, other}, 0) : at::cat({other, local}, 0);
  }
  int64_t rank_;
  std::vector<at::Tensor> other_;
  size_t calls_ = 0;
};

at::Tensor unit_rows(const at::Tensor& x) { return x / x.norm(2, {1}, true); }

}  // namespace

TEST_CASE("nt_xent matches the hand-computed value of two orthogonal identical pairs") {
  // Rows e1, e2 in both views, tau 1: each row has cosines 1 (positive), 0, 0 to the others,
  // so every term is -log(e / (e + 2)) = log(1 + 2 / e).
  const at::Tensor z = at::eye(2);
  auto comm = ssl::sdk::make_local_comm();
  const double loss = ssl::nn::nt_xent_loss(z, z, 1.0, *comm).item<double>();
  CHECK(loss == Approx(std::log(1.0 + 2.0 / std::exp(1.0))).epsilon(1e-6));
  CHECK(loss == Approx(0.5514447).epsilon(1e-6));
}

TEST_CASE("nt_xent equals the row-by-row definition on a fixed small input") {
  const at::Tensor z1 = at::tensor({1.0f, 2.0f, 0.5f, -1.0f, 0.3f, 0.0f, 2.0f, 1.0f, -0.5f}).view({3, 3});
  const at::Tensor z2 = at::tensor({0.8f, 2.2f, 0.1f, -0.7f, 1.0f, 0.4f, 1.5f, 0.2f, 0.3f}).view({3, 3});
  auto comm = ssl::sdk::make_local_comm();
  for (double tau : {0.2, 0.5, 1.0}) {
    const double got = ssl::nn::nt_xent_loss(z1, z2, tau, *comm).item<double>();
    CHECK(got == Approx(nt_xent_by_loop(z1, z2, tau)).epsilon(1e-5));
  }
}

TEST_CASE("nt_xent of collapsed embeddings is log(2N - 1)") {
  torch::manual_seed(1);
  const int64_t n = 6;
  const at::Tensor z = at::randn({1, 8}).expand({n, 8});
  auto comm = ssl::sdk::make_local_comm();
  for (double tau : {0.1, 0.2, 1.0}) {
    CHECK(ssl::nn::nt_xent_loss(z, z, tau, *comm).item<double>() ==
          Approx(std::log(2.0 * n - 1.0)).epsilon(1e-5));
  }
}

TEST_CASE("nt_xent over two processes averages to the single-process loss of the global batch") {
  torch::manual_seed(2);
  const int64_t n = 3;
  const at::Tensor a1 = at::randn({n, 4}), a2 = at::randn({n, 4});  // rank 0's views
  const at::Tensor b1 = at::randn({n, 4}), b2 = at::randn({n, 4});  // rank 1's views
  auto local = ssl::sdk::make_local_comm();
  const double global =
      ssl::nn::nt_xent_loss(at::cat({a1, b1}), at::cat({a2, b2}), 0.5, *local).item<double>();
  TwoRankComm rank0(0, {unit_rows(b1), unit_rows(b2)});
  TwoRankComm rank1(1, {unit_rows(a1), unit_rows(a2)});
  const double l0 = ssl::nn::nt_xent_loss(a1, a2, 0.5, rank0).item<double>();
  const double l1 = ssl::nn::nt_xent_loss(b1, b2, 0.5, rank1).item<double>();
  CHECK(l0 != Approx(l1));
  CHECK(0.5 * (l0 + l1) == Approx(global).epsilon(1e-5));
}

TEST_CASE("nt_xent sends gradient to both views and rejects mismatched shapes") {
  torch::manual_seed(3);
  const at::Tensor z1 = at::randn({4, 5}).requires_grad_(true);
  const at::Tensor z2 = at::randn({4, 5}).requires_grad_(true);
  auto comm = ssl::sdk::make_local_comm();
  ssl::nn::nt_xent_loss(z1, z2, 0.2, *comm).backward();
  CHECK(z1.grad().abs().sum().item<double>() > 0);
  CHECK(z2.grad().abs().sum().item<double>() > 0);
  CHECK_THROWS(ssl::nn::nt_xent_loss(z1, z2.narrow(0, 0, 3), 0.2, *comm));
}

TEST_CASE("cosine losses: negative_cosine and byol_loss follow their formulas") {
  const at::Tensor p = at::tensor({1.0f, 0.0f, 0.0f, 2.0f}).view({2, 2});
  const at::Tensor z = at::tensor({3.0f, 0.0f, 1.0f, 1.0f}).view({2, 2});
  // cosines: 1 and 1/sqrt(2)
  const double mean_cos = (1.0 + 1.0 / std::sqrt(2.0)) / 2.0;
  CHECK(ssl::nn::negative_cosine(p, z).item<double>() == Approx(-mean_cos).epsilon(1e-6));
  CHECK(ssl::nn::byol_loss(p, z).item<double>() == Approx(2.0 - 2.0 * mean_cos).epsilon(1e-6));
}

TEST_CASE("info_nce with in-batch negatives and with a queue follow their definitions") {
  // q = k = identity rows in 2-d, tau 1: logits [[1, 0], [0, 1]] -> loss log(1 + e^-1).
  const at::Tensor e = at::eye(2);
  CHECK(ssl::nn::info_nce(e, e, 1.0).item<double>() ==
        Approx(std::log(1.0 + std::exp(-1.0))).epsilon(1e-6));
  // Queue of 3 keys all orthogonal to q's positive direction except one opposite key.
  const at::Tensor q = at::tensor({1.0f, 0.0f}).view({1, 2});
  const at::Tensor queue = at::tensor({0.0f, 1.0f, -1.0f, 0.0f, 0.0f, -1.0f}).view({3, 2});
  // logits [1, 0, -1, 0] / 0.5
  const double expect = -std::log(std::exp(2.0) / (std::exp(2.0) + 1.0 + std::exp(-2.0) + 1.0));
  CHECK(ssl::nn::info_nce_with_queue(q, q, queue, 0.5).item<double>() ==
        Approx(expect).epsilon(1e-6));
  auto comm = ssl::sdk::make_local_comm();
  CHECK(ssl::nn::info_nce(e, e, 1.0, *comm).item<double>() ==
        Approx(ssl::nn::info_nce(e, e, 1.0).item<double>()));
}
