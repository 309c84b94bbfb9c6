// The data-parallel gradient convention of ssl/sdk/comm.h, checked on two thread ranks: every
// loss that needs the global batch gives, on each rank, the single-process value and W times
// the single-process gradient of that rank's rows, so that averaging the parameter gradients
// over the W ranks (as the trainer's reducer does) gives the single-process gradient.
#include <ATen/ATen.h>
#include <catch2/catch.hpp>
#include <torch/utils.h>

#include <functional>
#include <mutex>
#include <vector>

#include "../../plugins/method_adaptation/dance_losses.h"
#include "ssl/nn/losses.h"
#include "ssl/sdk/comm.h"
#include "thread_comm.h"

namespace {

constexpr int64_t kRanks = 2;

struct Inputs {
  at::Tensor z1, z2;  // the global batch, [W*N, D]
};

// Runs `loss` on one process over the global batch and on kRanks thread ranks over their rows;
// checks the values and that each rank's gradient is kRanks x the single-process rows'.
void check_equivalent(const Inputs& in, const std::function<at::Tensor(const at::Tensor&, const at::Tensor&, ssl::sdk::Comm&)>& loss) {
  const int64_t n = in.z1.size(0) / kRanks;
  auto local = ssl::sdk::make_local_comm();
  const at::Tensor a = in.z1.clone().set_requires_grad(true), b = in.z2.clone().set_requires_grad(true);
  const at::Tensor single = loss(a, b, *local);
  single.backward();

  std::mutex m;
  std::vector<double> values(kRanks);
  std::vector<at::Tensor> ga(kRanks), gb(kRanks);
  ssl::test::run_ranks(kRanks, [&](ssl::sdk::Comm& comm) {
    const int64_t r = comm.rank();
    const at::Tensor x = in.z1.narrow(0, r * n, n).clone().set_requires_grad(true);
    const at::Tensor y = in.z2.narrow(0, r * n, n).clone().set_requires_grad(true);
    const at::Tensor l = loss(x, y, comm);
    l.backward();
    std::lock_guard<std::mutex> lock(m);
    values[static_cast<size_t>(r)] = l.item<double>();
    ga[static_cast<size_t>(r)] = x.grad().clone();
    gb[static_cast<size_t>(r)] = y.grad().clone();
  });
  double mean = 0;
  for (double v : values) mean += v / double(kRanks);
  CHECK(mean == Approx(single.item<double>()).epsilon(1e-5));
  for (int64_t r = 0; r < kRanks; ++r) {
    CHECK(at::allclose(ga[static_cast<size_t>(r)], kRanks * a.grad().narrow(0, r * n, n), 1e-4, 1e-6));
    CHECK(at::allclose(gb[static_cast<size_t>(r)], kRanks * b.grad().narrow(0, r * n, n), 1e-4, 1e-6));
  }
}

Inputs random_inputs(int64_t rows, int64_t dim, uint64_t seed) {
  torch::manual_seed(seed);
  return {at::randn({rows, dim}, at::kDouble), at::randn({rows, dim}, at::kDouble)};
}

}  // namespace

TEST_CASE("all_gather_with_grad and all_reduce_sum_with_grad sum the gradient over the ranks") {
  ssl::test::run_ranks(kRanks, [&](ssl::sdk::Comm& comm) {
    const double r = double(comm.rank());
    const at::Tensor x = at::full({2, 3}, r + 1.0, at::kDouble).set_requires_grad(true);
    const at::Tensor g = comm.all_gather_with_grad(x);
    CHECK(g.size(0) == 4);
    CHECK(g[0][0].item<double>() == 1.0);
    CHECK(g[2][0].item<double>() == 2.0);
    // Rank r weights the gathered rows by (r + 1): the gradient of x sums both ranks' weights.
    (g.sum() * (r + 1.0)).backward();
    CHECK(at::allclose(x.grad(), at::full({2, 3}, 3.0, at::kDouble)));

    const at::Tensor y = at::full({3}, r + 1.0, at::kDouble).set_requires_grad(true);
    const at::Tensor s = comm.all_reduce_sum_with_grad(y);
    CHECK(at::allclose(s.detach(), at::full({3}, 3.0, at::kDouble)));
    (s.sum() * (r + 1.0)).backward();
    CHECK(at::allclose(y.grad(), at::full({3}, 3.0, at::kDouble)));
  });
}

TEST_CASE("nt_xent on two ranks: the single-process loss and gradients of the global batch") {
  check_equivalent(random_inputs(8, 5, 11), [](const at::Tensor& a, const at::Tensor& b, ssl::sdk::Comm& c) {
    return ssl::nn::nt_xent_loss(a, b, 0.5, c);
  });
}

TEST_CASE("barlow_twins on two ranks: the single-process loss and gradients of the global batch") {
  check_equivalent(random_inputs(10, 4, 12), [](const at::Tensor& a, const at::Tensor& b, ssl::sdk::Comm& c) {
    return ssl::nn::barlow_twins_loss(a, b, 0.0051, c).loss;
  });
}

TEST_CASE("vicreg on two ranks: the single-process loss and gradients of the global batch") {
  check_equivalent(random_inputs(10, 4, 13), [](const at::Tensor& a, const at::Tensor& b, ssl::sdk::Comm& c) {
    return ssl::nn::vicreg_loss(a, b, 25, 25, 1, c).loss;
  });
}

TEST_CASE("info_nce with in-batch keys on two ranks: the single-process loss and gradients") {
  check_equivalent(random_inputs(8, 5, 14), [](const at::Tensor& a, const at::Tensor& b, ssl::sdk::Comm& c) {
    return ssl::nn::info_nce(a, b, 0.2, c, ssl::nn::KeyGather::WithGrad);
  });
}

TEST_CASE("DANCE's neighbourhood clustering on two ranks: the single-process loss and gradients of the global batch") {
  // Rows: L2-normalised target features (a) and classifier logits (b, 5 classes); a memory of
  // 12 slots of which the global batch's 8 samples hold slots 11, 2, 7, 0 | 5, 9, 3, 6.
  Inputs in = random_inputs(8, 5, 15);
  in.z1 = in.z1 / in.z1.norm(2, 1, true);
  torch::manual_seed(16);
  const at::Tensor memory = at::randn({12, 5}, at::kDouble);
  const at::Tensor index = at::tensor(std::vector<int64_t>{11, 2, 7, 0, 5, 9, 3, 6});
  check_equivalent(in, [&](const at::Tensor& a, const at::Tensor& b, ssl::sdk::Comm& c) {
    const at::Tensor rows = index.narrow(0, c.rank() * a.size(0), a.size(0));
    return ssl::plugins::method_adaptation::neighbourhood_clustering(a, rows, memory / memory.norm(2, 1, true), b, 0.05,
                                                                     &c);
  });
}
