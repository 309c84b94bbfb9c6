// method_pretext: rotation prediction through the static twin, on a width-4 tiny_cnn and
// 1 x 16 x 16 images.
#include <ATen/ATen.h>
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "method_test_util.h"
#include "ssl/nn/head.h"

using namespace method_test;

namespace {

ssl::sdk::Batch one_view(const at::Tensor& images) {
  ssl::sdk::Batch batch;
  batch.views = {images};
  batch.view_group = {0};
  return batch;
}

// x [N, C, H, H] turned 90 degrees counter-clockwise, by the definition out[i][j] = x[j][H-1-i].
at::Tensor turn(const at::Tensor& x) {
  const int64_t h = x.size(2);
  at::Tensor out = at::empty_like(x);
  for (int64_t i = 0; i < h; ++i)
    for (int64_t j = 0; j < h; ++j) out.select(2, i).select(2, j).copy_(x.select(2, j).select(2, h - 1 - i));
  return out;
}

}  // namespace

TEST_CASE("rotation: the loss is the 4-way cross-entropy over the four rotations of every image, by hand") {
  ModelsRegistry registry;
  at::manual_seed(3);
  auto m = build(registry, "rotation", {{"head_hidden_dim", int64_t{16}}});
  m->eval();  // BatchNorm with running statistics: the hand forward below sees the same normalisation
  const at::Tensor x = at::randn({5, 1, 16, 16});
  const auto out = m->training_step(one_view(x), step_info(0));
  std::vector<at::Tensor> copies{x};
  for (int r = 1; r < 4; ++r) copies.push_back(turn(copies.back()));
  auto head = child<ssl::nn::MLPHeadImpl>(*m, "head");
  double want = 0, correct = 0;
  for (int r = 0; r < 4; ++r) {
    const auto L = rows(head->forward(m->backbone()->forward(copies[size_t(r)])));
    for (const auto& row : L) {
      double denom = 0;
      for (double z : row) denom += std::exp(z);
      want -= (row[size_t(r)] - std::log(denom)) / 20.0;
      correct += (std::max_element(row.begin(), row.end()) - row.begin() == r) / 20.0;
    }
  }
  CHECK(out.loss.item<double>() == Approx(want).epsilon(1e-5));
  CHECK(metric(out, "accuracy") == Approx(correct));
  CHECK(metric(out, "uniform_loss_ref") == Approx(std::log(4.0)));
}

TEST_CASE("rotation: SGD steps learn the rotations of a synthetic set; non-square views are refused") {
  ModelsRegistry registry;
  at::manual_seed(4);
  auto m = build(registry, "rotation", {{"head_hidden_dim", int64_t{16}}});
  // A bright bar along the top edge: each rotation puts it on a different side.
  at::Tensor x = 0.2 * at::randn({16, 1, 16, 16});
  x.narrow(2, 0, 4).add_(2.0);
  const auto batch = one_view(x);
  const double first = sgd_step(*m, batch, step_info(0, 40));
  double last = first;
  for (int64_t s = 1; s < 40; ++s) last = sgd_step(*m, batch, step_info(s, 40));
  CHECK(first > 1.2);  // about ln 4 at the start
  CHECK(last < 0.3);
  CHECK(metric(m->training_step(batch, step_info(40, 40)), "accuracy") == 1.0);
  // The dataset's labels are never needed, and a non-square view has no exact 90-degree turn.
  CHECK_THROWS_WITH(m->training_step(one_view(at::randn({2, 1, 16, 12})), step_info(0)),
                    Catch::Contains("square views"));
}
