// ssl::nn::SyncBatchNorm on two thread ranks: while synchronised, each rank's rows are normalised
// with the statistics of the global batch, the gradients follow the data-parallel convention of
// ssl/sdk/comm.h and the running statistics are the single process's; otherwise the layers are
// torch's BatchNorm. Clones keep the synchronisable type (momentum encoders clone heads).
#include <ATen/ATen.h>
#include <torch/nn/modules/batchnorm.h>
#include <torch/utils.h>
#include <catch2/catch.hpp>

#include <memory>
#include <mutex>
#include <numeric>
#include <vector>

#include "ssl/nn/batch_norm.h"
#include "ssl/nn/head.h"
#include "ssl/sdk/comm.h"
#include "thread_comm.h"

using ssl::nn::SyncBatchNorm1d;
using ssl::nn::SyncBatchNorm2d;

namespace {

constexpr int64_t kRanks = 2;

struct Outcome {
  at::Tensor y, x_grad, weight_grad, bias_grad, running_mean, running_var, tracked;
};

at::Tensor copy_or_undefined(const at::Tensor& t) { return t.defined() ? t.clone() : at::Tensor(); }

template <typename Layer>
Outcome run_layer(Layer& bn, const at::Tensor& x, const at::Tensor& w, ssl::sdk::Comm* comm) {
  const at::Tensor input = x.clone().set_requires_grad(true);
  const at::Tensor y = bn->forward(input);
  at::Tensor loss = (y * w).sum();
  if (comm) loss = comm->all_reduce_sum_with_grad(loss);  // every rank: the global loss
  loss.backward();
  const bool affine = bn->weight.defined();
  return {y.detach(),
          input.grad(),
          affine ? bn->weight.grad().clone() : at::Tensor(),
          affine ? bn->bias.grad().clone() : at::Tensor(),
          copy_or_undefined(bn->running_mean),
          copy_or_undefined(bn->running_var),
          copy_or_undefined(bn->num_batches_tracked)};
}

bool same(const at::Tensor& a, const at::Tensor& b, double rtol, double atol) {
  if (!a.defined() || !b.defined()) return a.defined() == b.defined();
  return at::allclose(a, b, rtol, atol);
}

// One training step of `layer` on the global batch x and on ranks holding `shares` of its rows
// (in order; they may differ in size).
template <typename Layer>
void check_global_statistics(Layer layer, const at::Tensor& x, const at::Tensor& w,
                             const std::vector<int64_t>& shares = {}) {
  layer->to(at::kDouble);
  if (layer->weight.defined()) {
    at::NoGradGuard no_grad;
    layer->weight.uniform_(0.5, 1.5);
    layer->bias.uniform_(-0.5, 0.5);
  }
  auto single_layer = std::dynamic_pointer_cast<typename Layer::ContainedType>(layer->clone());
  REQUIRE(single_layer != nullptr);
  Layer single_holder(single_layer);
  const Outcome single = run_layer(single_holder, x, w, nullptr);

  std::vector<int64_t> rows = shares, offsets;
  if (rows.empty()) rows.assign(kRanks, x.size(0) / kRanks);
  REQUIRE(int64_t(rows.size()) == kRanks);
  REQUIRE(std::accumulate(rows.begin(), rows.end(), int64_t(0)) == x.size(0));
  for (int64_t r = 0, at = 0; r < kRanks; at += rows[size_t(r)], ++r) offsets.push_back(at);
  std::mutex m;
  std::vector<Outcome> ranks(kRanks);
  ssl::test::run_ranks(kRanks, [&](ssl::sdk::Comm& comm) {
    auto mine = std::dynamic_pointer_cast<typename Layer::ContainedType>(layer->clone());
    Layer holder(mine);
    mine->set_sync(std::make_shared<ssl::nn::BatchNormSync>(ssl::nn::BatchNormSync{&comm, true}));
    const size_t r = size_t(comm.rank());
    Outcome o = run_layer(holder, x.narrow(0, offsets[r], rows[r]), w.narrow(0, offsets[r], rows[r]), &comm);
    std::lock_guard<std::mutex> lock(m);
    ranks[r] = o;
  });

  const bool affine = single.weight_grad.defined();
  at::Tensor weight_grad = affine ? at::zeros_like(single.weight_grad) : at::Tensor();
  at::Tensor bias_grad = affine ? at::zeros_like(single.bias_grad) : at::Tensor();
  for (size_t r = 0; r < size_t(kRanks); ++r) {
    const Outcome& o = ranks[r];
    CHECK(at::allclose(o.y, single.y.narrow(0, offsets[r], rows[r]), 1e-10, 1e-12));
    // The convention: W x the single-process gradient of the rank's rows.
    CHECK(at::allclose(o.x_grad, kRanks * single.x_grad.narrow(0, offsets[r], rows[r]), 1e-9, 1e-11));
    CHECK(same(o.running_mean, single.running_mean, 1e-10, 1e-12));
    CHECK(same(o.running_var, single.running_var, 1e-10, 1e-12));
    CHECK(same(o.tracked, single.tracked, 0, 0));
    if (affine) {
      weight_grad += o.weight_grad / double(kRanks);
      bias_grad += o.bias_grad / double(kRanks);
    }
  }
  // What the trainer's reducer leaves: the mean over the ranks, the single-process gradient.
  if (affine) {
    CHECK(at::allclose(weight_grad, single.weight_grad, 1e-9, 1e-11));
    CHECK(at::allclose(bias_grad, single.bias_grad, 1e-9, 1e-11));
  }
}

}  // namespace

TEST_CASE("SyncBatchNorm2d on two ranks: the global batch's normalisation, gradients and running statistics") {
  torch::manual_seed(3);
  const at::Tensor x = at::randn({8, 3, 5, 4}, at::kDouble) * 2 + 1;
  const at::Tensor w = at::randn({8, 3, 5, 4}, at::kDouble);
  check_global_statistics(SyncBatchNorm2d(3), x, w);
}

TEST_CASE("SyncBatchNorm1d on two ranks: the same for [N, C] and without momentum (cumulative average)") {
  torch::manual_seed(4);
  const at::Tensor x = at::randn({6, 5}, at::kDouble) * 3 - 2;
  const at::Tensor w = at::randn({6, 5}, at::kDouble);
  check_global_statistics(SyncBatchNorm1d(5), x, w);
  check_global_statistics(SyncBatchNorm1d(torch::nn::BatchNormOptions(5).momentum(c10::nullopt)), x, w);
}

TEST_CASE("SyncBatchNorm on two ranks of unequal shares, without affine and without running statistics") {
  torch::manual_seed(7);
  const at::Tensor x = at::randn({9, 4, 3, 3}, at::kDouble) * 1.5 - 0.5;
  const at::Tensor w = at::randn({9, 4, 3, 3}, at::kDouble);
  check_global_statistics(SyncBatchNorm2d(4), x, w, {3, 6});
  check_global_statistics(SyncBatchNorm2d(torch::nn::BatchNormOptions(4).affine(false)), x, w, {4, 5});
  check_global_statistics(SyncBatchNorm2d(torch::nn::BatchNormOptions(4).track_running_stats(false)), x, w, {5, 4});
}

TEST_CASE("unsynchronised, SyncBatchNorm computes exactly what torch's BatchNorm does, whatever the options") {
  const std::vector<torch::nn::BatchNormOptions> options = {
      torch::nn::BatchNormOptions(3), torch::nn::BatchNormOptions(3).momentum(c10::nullopt),
      torch::nn::BatchNormOptions(3).affine(false), torch::nn::BatchNormOptions(3).track_running_stats(false),
      torch::nn::BatchNormOptions(3).eps(1e-3).momentum(0.3)};
  for (const auto& o : options) {
    SyncBatchNorm2d ours(o);
    torch::nn::BatchNorm2d theirs(o);
    CHECK(ours->named_parameters().keys() == theirs->named_parameters().keys());
    CHECK(ours->named_buffers().keys() == theirs->named_buffers().keys());
    torch::manual_seed(8);
    for (int step = 0; step < 3; ++step) {  // two training steps, then evaluation
      if (step == 2) {
        ours->eval();
        theirs->eval();
      }
      const at::Tensor x = at::randn({4, 3, 2, 5}) * 3 + 1;
      CHECK(at::equal(ours->forward(x), theirs->forward(x)));
    }
    const auto a = ours->named_buffers(), b = theirs->named_buffers();
    for (const auto& item : a)
      if (item.value().defined()) CHECK(at::equal(item.value(), b[item.key()]));
  }
  // One value per channel cannot be normalised in training: both refuse it.
  CHECK_THROWS_WITH(SyncBatchNorm1d(3)->forward(at::randn({1, 3})), Catch::Contains("more than 1 value per channel"));
  CHECK_THROWS(torch::nn::BatchNorm1d(3)->forward(at::randn({1, 3})));
}

TEST_CASE("SyncBatchNorm is torch's BatchNorm on the rank's own rows when not synchronised or in eval mode") {
  torch::manual_seed(5);
  const at::Tensor x = at::randn({8, 4}, at::kDouble);
  SyncBatchNorm1d layer(4);
  layer->to(at::kDouble);
  std::mutex m;
  std::vector<at::Tensor> inactive(kRanks), eval(kRanks), expected(kRanks), expected_eval(kRanks);
  ssl::test::run_ranks(kRanks, [&](ssl::sdk::Comm& comm) {
    const int64_t r = comm.rank();
    const at::Tensor rows = x.narrow(0, r * 4, 4);
    auto mine = std::dynamic_pointer_cast<ssl::nn::SyncBatchNorm1dImpl>(layer->clone());
    auto sync = std::make_shared<ssl::nn::BatchNormSync>(ssl::nn::BatchNormSync{&comm, false});
    mine->set_sync(sync);
    torch::nn::BatchNorm1d plain(4);
    plain->to(at::kDouble);
    at::NoGradGuard no_grad;
    const at::Tensor a = mine->forward(rows), b = plain->forward(rows);
    sync->active = true;
    mine->eval();
    plain->eval();
    const at::Tensor c = mine->forward(rows), d = plain->forward(rows);
    std::lock_guard<std::mutex> lock(m);
    inactive[static_cast<size_t>(r)] = a;
    expected[static_cast<size_t>(r)] = b;
    eval[static_cast<size_t>(r)] = c;
    expected_eval[static_cast<size_t>(r)] = d;
  });
  for (size_t r = 0; r < kRanks; ++r) {
    CHECK(at::equal(inactive[r], expected[r]));
    CHECK(at::equal(eval[r], expected_eval[r]));
  }
}

TEST_CASE("a cloned head keeps synchronisable BatchNorm layers with copied, separate parameters") {
  ssl::nn::MLPHead head(ssl::nn::MLPHeadOptions(8, 16, 4).last_batch_norm(true));
  auto copy = std::dynamic_pointer_cast<ssl::nn::MLPHeadImpl>(head->clone());
  REQUIRE(copy != nullptr);
  int64_t synchronisable = 0;
  for (const auto& m : copy->modules()) synchronisable += dynamic_cast<ssl::nn::SyncableBatchNorm*>(m.get()) != nullptr;
  CHECK(synchronisable == 2);
  const auto a = head->named_parameters(), b = copy->named_parameters();
  REQUIRE(a.size() == b.size());
  for (const auto& item : a) {
    CHECK(at::equal(item.value(), b[item.key()]));
    CHECK(!item.value().is_same(b[item.key()]));
  }
  torch::manual_seed(6);
  const at::Tensor x = at::randn({5, 8});
  CHECK(at::allclose(head->forward(x), copy->forward(x)));
}
