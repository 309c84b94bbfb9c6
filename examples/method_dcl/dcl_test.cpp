// The DCL method through its static twin: no host, no backbone plugin.
#define CATCH_CONFIG_MAIN
#include <catch2/catch.hpp>

#include <ATen/ATen.h>

#include <cmath>

#include "ssl/sdk/testing.h"

SSL_PLUGIN_DECLARE_STATIC(method_dcl);

namespace dcl {  // the loss, from dcl.cpp (linked in through the static twin)
at::Tensor dcl_loss(const at::Tensor& z1, const at::Tensor& z2, double tau, double sigma, ssl::sdk::Comm& comm);
}

using namespace ssl::sdk;

namespace {
// The loss written out as loops in double precision over the 2N embeddings u_0..u_{2N-1}
// (u_i = z1_i, u_{N+i} = z2_i): -w_i cos(u_i, u_p) / tau + log sum_{k != i, p} exp(cos(u_i, u_k) / tau).
double loop_loss(const at::Tensor& z1, const at::Tensor& z2, double tau, double sigma) {
  const at::Tensor u = at::cat({z1, z2}).to(at::kDouble);
  const int64_t n = z1.size(0);
  auto cos = [&](int64_t a, int64_t b) {
    return (u[a] * u[b]).sum().item<double>() / (u[a].norm().item<double>() * u[b].norm().item<double>());
  };
  double mean_exp = 0;
  for (int64_t i = 0; i < n; ++i) mean_exp += std::exp(cos(i, n + i) / sigma) / double(n);
  double total = 0;
  for (int64_t i = 0; i < 2 * n; ++i) {
    const int64_t p = i < n ? i + n : i - n;
    const double w = sigma > 0 ? 2.0 - std::exp(cos(i, p) / sigma) / mean_exp : 1.0;
    double negatives = 0;
    for (int64_t k = 0; k < 2 * n; ++k)
      if (k != i && k != p) negatives += std::exp(cos(i, k) / tau);
    total += -w * cos(i, p) / tau + std::log(negatives);
  }
  return total / double(2 * n);
}
}  // namespace

TEST_CASE("the DCL and DCLW losses equal their definitions written as loops") {
  at::manual_seed(1);
  const at::Tensor z1 = at::randn({5, 3}), z2 = at::randn({5, 3});
  auto comm = make_local_comm();
  CHECK(dcl::dcl_loss(z1, z2, 0.2, 0.0, *comm).item<double>() == Approx(loop_loss(z1, z2, 0.2, 0.0)).epsilon(1e-5));
  CHECK(dcl::dcl_loss(z1, z2, 0.2, 0.5, *comm).item<double>() == Approx(loop_loss(z1, z2, 0.2, 0.5)).epsilon(1e-5));
}

TEST_CASE("a DCL training step gives a finite loss whose gradient reaches the backbone") {
  at::manual_seed(0);
  testing::Components components{ssl_static_plugin_info_method_dcl()};
  auto method = components.method("dcl", {{"proj_hidden_dim", int64_t{16}}, {"proj_dim", int64_t{8}}},
                                  testing::method_context(1, 8));
  const StepOutput out = method->training_step(testing::random_views(8, 1, 8), StepInfo{});
  REQUIRE(std::isfinite(out.loss.item<double>()));
  out.loss.backward();
  const at::Tensor grad = method->backbone()->parameters().front().grad();
  REQUIRE(grad.defined());
  CHECK(grad.abs().sum().item<double>() > 0);
}

TEST_CASE("the DCL loss of identical embeddings is the log of the negative count") {
  // Every cosine is 1: the positive term is -1/tau and the 2N-2 negatives give ln(2N-2) + 1/tau.
  testing::Components components{ssl_static_plugin_info_method_dcl()};
  auto method = components.method(
      "dcl", {{"proj_hidden_dim", int64_t{16}}, {"proj_dim", int64_t{8}}, {"proj_batch_norm", false}},
      testing::method_context(1, 8));
  Batch batch = testing::random_views(6, 1, 8);
  batch.views[1] = batch.views[0] = at::ones_like(batch.views[0]);
  const StepOutput out = method->training_step(batch, StepInfo{});
  CHECK(out.loss.item<double>() == Approx(std::log(10.0)).margin(1e-4));
}

TEST_CASE("a negative sigma is refused by the schema") {
  testing::Components components{ssl_static_plugin_info_method_dcl()};
  CHECK_THROWS_WITH(components.config(Kind::Method, "dcl", {{"sigma", -1.0}}), Catch::Contains("sigma"));
}
