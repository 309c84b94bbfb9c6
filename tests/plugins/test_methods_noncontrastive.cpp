// method_noncontrastive: BYOL, SimSiam, Barlow Twins and VICReg through the static twin, on a
// width-4 tiny_cnn and 8 x 1 x 16 x 16 images.
#include <ATen/ATen.h>
#include <catch2/catch.hpp>
#include <torch/csrc/autograd/grad_mode.h>
#include <torch/utils.h>

#include <algorithm>
#include <cmath>

#include "method_test_util.h"
#include "ssl/nn/ema.h"
#include "ssl/nn/head.h"
#include "ssl/nn/losses.h"
#include "ssl/nn/momentum.h"
#include "ssl/sdk/comm.h"

using namespace method_test;
using ssl::nn::MLPHeadImpl;
using ssl::nn::MomentumEncoderImpl;

namespace {

at::Tensor project(ssl::sdk::Method& m, const at::Tensor& x) {
  return child<MLPHeadImpl>(m, "projector")->forward(m.backbone()->forward(x));
}

// Column j of z standardised along the batch (biased variance, eps 1e-5).
std::vector<std::vector<double>> standardized(const at::Tensor& z) {
  auto Z = rows(z);
  const size_t n = Z.size(), d = Z[0].size();
  for (size_t j = 0; j < d; ++j) {
    double mean = 0, var = 0;
    for (size_t i = 0; i < n; ++i) mean += Z[i][j] / double(n);
    for (size_t i = 0; i < n; ++i) var += (Z[i][j] - mean) * (Z[i][j] - mean) / double(n);
    for (size_t i = 0; i < n; ++i) Z[i][j] = (Z[i][j] - mean) / std::sqrt(var + 1e-5);
  }
  return Z;
}

struct Vic {
  double variance, covariance;
};
// One branch's VICReg variance hinge and covariance penalty by the definition.
Vic vicreg_branch(const at::Tensor& z) {
  const auto Z = rows(z);
  const size_t n = Z.size(), d = Z[0].size();
  std::vector<double> mean(d, 0);
  for (size_t j = 0; j < d; ++j)
    for (size_t i = 0; i < n; ++i) mean[j] += Z[i][j] / double(n);
  Vic v{0, 0};
  for (size_t a = 0; a < d; ++a)
    for (size_t b = 0; b < d; ++b) {
      double cov = 0;
      for (size_t i = 0; i < n; ++i) cov += (Z[i][a] - mean[a]) * (Z[i][b] - mean[b]);
      cov /= double(n - 1);
      if (a == b) v.variance += std::max(0.0, 1.0 - std::sqrt(cov + 1e-4)) / double(d);
      else v.covariance += cov * cov / double(d);
    }
  return v;
}

}  // namespace

// ---- BYOL ----

TEST_CASE("byol: the loss is sum of mean (2 - 2 cos(p, target z')) both ways, by hand") {
  torch::manual_seed(80);
  ModelsRegistry r;
  auto m = build(r, "byol");
  const auto batch = two_views();
  auto pred = child<MLPHeadImpl>(*m, "predictor");
  auto target = child<MomentumEncoderImpl>(*m, "target");
  const at::Tensor p1 = pred->forward(project(*m, batch.views[0]));
  const at::Tensor p2 = pred->forward(project(*m, batch.views[1]));
  const double expected = (2 - 2 * mean_cos_loop(p1, target->forward(batch.views[1]))) +
                          (2 - 2 * mean_cos_loop(p2, target->forward(batch.views[0])));
  auto out = m->training_step(batch, step_info(1, 4));
  CHECK(out.loss.item<double>() == Approx(expected).epsilon(1e-4));
  CHECK(metric(out, "momentum_tau") == Approx(ssl::nn::cosine_momentum(0.99, 1.0, 0.25)));
}

TEST_CASE("byol: two SGD steps train the backbone, the target gets no gradient") {
  torch::manual_seed(81);
  ModelsRegistry r;
  check_two_steps(r, "byol");
  auto m = build(r, "byol");
  check_target_gets_no_gradient(*m);
}

TEST_CASE("byol: after_step sets target = tau target + (1 - tau) online with the cosine tau") {
  torch::manual_seed(82);
  ModelsRegistry r;
  auto m = build(r, "byol", {{"momentum", 0.9}, {"final_momentum", 1.0}});
  check_ema_update(*m, ssl::nn::cosine_momentum(0.9, 1.0, 0.75), step_info(3, 4));
  auto m0 = build(r, "byol", {{"momentum", 0.5}, {"final_momentum", 1.0}});
  check_ema_update(*m0, 0.5, step_info(0, 4));
}

TEST_CASE("byol: a checkpoint round trip restores online and target networks exactly") {
  ModelsRegistry r;
  const auto names = check_round_trip(r, "byol");
  CHECK(contains(names, "target.backbone.features.0.weight"));
  CHECK(contains(names, "target.backbone.features.1.running_mean"));
  CHECK(contains(names, "target.projector.layers.0.weight"));
}

TEST_CASE("byol: predictor = false regresses the target projection with the online projection") {
  torch::manual_seed(83);
  ModelsRegistry r;
  auto m = build(r, "byol", {{"predictor", false}});
  CHECK(m->named_children().find("predictor") == nullptr);
  const auto batch = two_views();
  auto target = child<MomentumEncoderImpl>(*m, "target");
  const double expected = (2 - 2 * mean_cos_loop(project(*m, batch.views[0]), target->forward(batch.views[1]))) +
                          (2 - 2 * mean_cos_loop(project(*m, batch.views[1]), target->forward(batch.views[0])));
  CHECK(m->training_step(batch, step_info(0, 4)).loss.item<double>() == Approx(expected).epsilon(1e-4));
  check_two_steps(r, "byol", {{"predictor", false}});
}

TEST_CASE("byol: momentum 0 makes the target the online network after every step") {
  torch::manual_seed(84);
  ModelsRegistry r;
  auto m = build(r, "byol", {{"momentum", 0.0}, {"final_momentum", 0.0}});
  check_ema_update(*m, 0.0, step_info(1, 4));
}

// ---- SimSiam ----

TEST_CASE("simsiam: the loss is -1/2 cos(p1, z2) - 1/2 cos(p2, z1) and z_std the std of norm(z1)") {
  torch::manual_seed(90);
  ModelsRegistry r;
  auto m = build(r, "simsiam");
  const auto batch = two_views();
  auto pred = child<MLPHeadImpl>(*m, "predictor");
  const at::Tensor z1 = project(*m, batch.views[0]);
  const at::Tensor z2 = project(*m, batch.views[1]);
  const double expected =
      -0.5 * mean_cos_loop(pred->forward(z1), z2) - 0.5 * mean_cos_loop(pred->forward(z2), z1);
  auto out = m->training_step(batch, step_info(0));
  CHECK(out.loss.item<double>() == Approx(expected).epsilon(1e-4));
  const auto Z = rows(z1);
  double std_sum = 0;
  for (size_t j = 0; j < Z[0].size(); ++j) {
    std::vector<double> col;
    for (const auto& row : Z) {
      double norm = 0;
      for (double v : row) norm += v * v;
      col.push_back(row[j] / std::sqrt(norm));
    }
    double mean = 0, var = 0;
    for (double v : col) mean += v / double(col.size());
    for (double v : col) var += (v - mean) * (v - mean) / double(col.size() - 1);
    std_sum += std::sqrt(var);
  }
  CHECK(metric(out, "z_std") == Approx(std_sum / double(Z[0].size())).epsilon(1e-4));
}

TEST_CASE("simsiam: with stop_gradient the target z gets no gradient, without it it does") {
  ModelsRegistry r;
  for (const bool stop : {true, false}) {
    INFO("stop_gradient = " << stop);
    torch::manual_seed(91);
    auto m = build(r, "simsiam", {{"stop_gradient", stop}});
    const auto batch = two_views();
    auto pred = child<MLPHeadImpl>(*m, "predictor");
    const at::Tensor w = m->named_parameters()["projector.layers.0.weight"];
    // The gradient of the method's loss on the projector's first layer ...
    m->training_step(batch, step_info(0)).loss.backward();
    const at::Tensor g_method = w.grad().clone();
    // ... against graphs built by hand with and without detaching the targets.
    auto manual_grad = [&](bool detach) {
      w.mutable_grad().zero_();
      const at::Tensor z1 = project(*m, batch.views[0]);
      const at::Tensor z2 = project(*m, batch.views[1]);
      const at::Tensor t1 = detach ? z1.detach() : z1;
      const at::Tensor t2 = detach ? z2.detach() : z2;
      (0.5 * ssl::nn::negative_cosine(pred->forward(z1), t2) +
       0.5 * ssl::nn::negative_cosine(pred->forward(z2), t1))
          .backward();
      return w.grad().clone();
    };
    const at::Tensor g_detached = manual_grad(true);
    const at::Tensor g_through = manual_grad(false);
    REQUIRE_FALSE(at::allclose(g_detached, g_through, 1e-4, 1e-6));
    CHECK(at::allclose(g_method, stop ? g_detached : g_through, 1e-4, 1e-7));
  }
}

TEST_CASE("simsiam: predictor = false compares the projections, one parameter group") {
  torch::manual_seed(93);
  ModelsRegistry r;
  auto m = build(r, "simsiam", {{"predictor", false}});
  CHECK(m->named_children().find("predictor") == nullptr);
  const auto batch = two_views();
  const at::Tensor z1 = project(*m, batch.views[0]);
  const at::Tensor z2 = project(*m, batch.views[1]);
  CHECK(m->training_step(batch, step_info(0)).loss.item<double>() ==
        Approx(-mean_cos_loop(z1, z2)).epsilon(1e-4));
  const auto groups = m->parameter_groups();
  REQUIRE(groups.size() == 1);
  CHECK(groups[0].name == "encoder");
  check_two_steps(r, "simsiam", {{"predictor", false}});
}

TEST_CASE("simsiam: the predictor is its own group with a fixed learning rate") {
  torch::manual_seed(92);
  ModelsRegistry r;
  check_two_steps(r, "simsiam");
  auto m = build(r, "simsiam");
  auto groups = m->parameter_groups();
  REQUIRE(groups.size() == 2);
  CHECK(groups[0].name == "encoder");
  CHECK_FALSE(groups[0].fixed_lr);
  CHECK(groups[1].name == "predictor");
  CHECK(groups[1].fixed_lr);
  CHECK(groups[1].params.size() == child<MLPHeadImpl>(*m, "predictor")->parameters().size());
  CHECK_FALSE(build(r, "simsiam", {{"fixed_predictor_lr", false}})->parameter_groups()[1].fixed_lr);
  const auto names = check_round_trip(r, "simsiam");
  CHECK(contains(names, "projector.layers.7.running_var"));
}

// ---- Barlow Twins ----

TEST_CASE("barlow_twins: the loss is 0.1 (sum (1 - C_ii)^2 + lambda sum C_ij^2) by hand") {
  torch::manual_seed(100);
  ModelsRegistry r;
  auto m = build(r, "barlow_twins");
  const auto batch = two_views();
  const auto A = standardized(project(*m, batch.views[0]));
  const auto B = standardized(project(*m, batch.views[1]));
  const size_t n = A.size(), d = A[0].size();
  double on = 0, off = 0;
  for (size_t i = 0; i < d; ++i)
    for (size_t j = 0; j < d; ++j) {
      double c = 0;
      for (size_t k = 0; k < n; ++k) c += A[k][i] * B[k][j] / double(n);
      if (i == j) on += (1 - c) * (1 - c);
      else off += c * c;
    }
  auto out = m->training_step(batch, step_info(0));
  CHECK(out.loss.item<double>() == Approx(0.1 * (on + 0.0051 * off)).epsilon(1e-4));
  CHECK(metric(out, "on_diag") == Approx(on).epsilon(1e-4));
  CHECK(metric(out, "off_diag") == Approx(off).epsilon(1e-4));
}

TEST_CASE("barlow_twins: two SGD steps train the backbone and a round trip restores it") {
  torch::manual_seed(102);
  ModelsRegistry r;
  check_two_steps(r, "barlow_twins");
  check_round_trip(r, "barlow_twins");
}

// ---- VICReg ----

TEST_CASE("vicreg: the loss is 25 MSE + 25 variance hinge + 1 covariance, each term by hand") {
  torch::manual_seed(110);
  ModelsRegistry r;
  auto m = build(r, "vicreg");
  const auto batch = two_views();
  const at::Tensor z1 = project(*m, batch.views[0]);
  const at::Tensor z2 = project(*m, batch.views[1]);
  const auto A = rows(z1), B = rows(z2);
  double mse = 0;
  for (size_t i = 0; i < A.size(); ++i)
    for (size_t j = 0; j < A[0].size(); ++j)
      mse += (A[i][j] - B[i][j]) * (A[i][j] - B[i][j]) / double(A.size() * A[0].size());
  const Vic v1 = vicreg_branch(z1), v2 = vicreg_branch(z2);
  const double var = 0.5 * (v1.variance + v2.variance), cov = v1.covariance + v2.covariance;
  auto out = m->training_step(batch, step_info(0));
  CHECK(metric(out, "invariance") == Approx(mse).epsilon(1e-4));
  CHECK(metric(out, "variance") == Approx(var).epsilon(1e-4));
  CHECK(metric(out, "covariance") == Approx(cov).epsilon(1e-4));
  CHECK(out.loss.item<double>() == Approx(25 * mse + 25 * var + cov).epsilon(1e-4));
  CHECK(var > 0);
  CHECK(cov > 0);
}

TEST_CASE("vicreg: two SGD steps train the backbone and a round trip restores it") {
  torch::manual_seed(111);
  ModelsRegistry r;
  check_two_steps(r, "vicreg");
  check_round_trip(r, "vicreg");
}
