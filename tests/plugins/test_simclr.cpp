// method_contrastive/simclr through its static twin, on a small resnet.
#include <ATen/ATen.h>
#include <catch2/catch.hpp>
#include <torch/optim/sgd.h>
#include <torch/utils.h>

#include <cmath>

#include "models_registry.h"

using models_test::ModelsRegistry;
using models_test::Values;

namespace {

// A method build context whose make_backbone builds a width-8 resnet_small.
ssl::sdk::BuildContext method_context(const ModelsRegistry& registry, int64_t channels) {
  ssl::sdk::BuildContext ctx;
  ctx.role = "method";
  ctx.input_channels = channels;
  ctx.make_backbone = [&registry, channels] {
    ssl::sdk::BuildContext bctx;
    bctx.role = "backbone";
    bctx.input_channels = channels;
    return registry.backbone("resnet_small", {{"width", int64_t{8}}}, bctx);
  };
  return ctx;
}

const Values kSmallHeads = {{"proj_hidden_dim", int64_t{32}}, {"proj_dim", int64_t{16}}};

ssl::sdk::Batch two_views(const at::Tensor& a, const at::Tensor& b) {
  ssl::sdk::Batch batch;
  batch.views = {a, b};
  batch.view_group = {0, 0};
  return batch;
}

}  // namespace

TEST_CASE("simclr: two SGD steps give a finite loss and gradients reaching the first conv") {
  torch::manual_seed(30);
  ModelsRegistry registry;
  auto method = registry.method("simclr", kSmallHeads, method_context(registry, 3));
  CHECK(registry.views("simclr", kSmallHeads).min_views == 2);
  CHECK(registry.views("simclr", kSmallHeads).max_views == 2);
  CHECK_FALSE(registry.views("simclr", kSmallHeads).own_transform);
  REQUIRE(method->backbone() != nullptr);
  auto params = method->named_parameters();
  REQUIRE(params.contains("backbone.conv1.weight"));
  REQUIRE(params.contains("projector.layers.0.weight"));
  const at::Tensor conv1 = params["backbone.conv1.weight"];

  auto groups = method->parameter_groups();
  REQUIRE(groups.size() == 1);
  torch::optim::SGD sgd(groups[0].params, torch::optim::SGDOptions(0.05).momentum(0.9));
  ssl::sdk::StepInfo info;
  info.total_steps = 2;
  for (int step = 0; step < 2; ++step) {
    info.step = step;
    const at::Tensor x = at::randn({6, 3, 16, 16});
    auto out = method->training_step(two_views(x + 0.1 * at::randn_like(x), x), info);
    REQUIRE(out.loss.dim() == 0);
    CHECK(std::isfinite(out.loss.item<double>()));
    sgd.zero_grad();
    out.loss.backward();
    REQUIRE(conv1.grad().defined());
    CHECK(conv1.grad().abs().sum().item<double>() > 0);
    const at::Tensor before = conv1.detach().clone();
    sgd.step();
    CHECK_FALSE(at::equal(before, conv1));
    REQUIRE(out.metrics.size() == 3);
    CHECK(out.metrics[0].first == "pos_sim");
    CHECK(out.metrics[1].first == "neg_sim");
    for (int i = 0; i < 2; ++i) {
      const auto& m = out.metrics[i];
      CHECK_FALSE(m.second.requires_grad());
      CHECK(m.second.item<double>() >= -1.0);
      CHECK(m.second.item<double>() <= 1.0);
    }
    CHECK(out.metrics[2].first == "uniform_loss_ref");
    CHECK(out.metrics[2].second.item<double>() == Approx(std::log(11.0)));  // 2N - 1 candidates, N = 6
  }
}

TEST_CASE("simclr: identical images everywhere give the collapsed loss log(2N - 1)") {
  torch::manual_seed(31);
  ModelsRegistry registry;
  auto method = registry.method("simclr", kSmallHeads, method_context(registry, 1));
  const int64_t n = 5;
  const at::Tensor x = at::randn({1, 1, 28, 28}).expand({n, 1, 28, 28});
  auto out = method->training_step(two_views(x, x), {});
  CHECK(out.loss.item<double>() == Approx(std::log(2.0 * n - 1.0)).epsilon(1e-4));
  // ... which is the uniform_loss_ref the collapse alarm compares the loss with.
  CHECK(out.metrics.back().first == "uniform_loss_ref");
  CHECK(out.loss.item<double>() == Approx(out.metrics.back().second.item<double>()).epsilon(1e-4));
}

TEST_CASE("simclr: embed returns the projector output and backbone the shared backbone") {
  torch::manual_seed(32);
  ModelsRegistry registry;
  auto method = registry.method("simclr", kSmallHeads, method_context(registry, 3));
  method->eval();
  const at::Tensor x = at::randn({3, 3, 32, 32});
  CHECK(method->embed(x).sizes() == at::IntArrayRef({3, 16}));
  CHECK(method->backbone()->forward(x).sizes() == at::IntArrayRef({3, 64}));
  CHECK(method->backbone().get() ==
        method->named_children()["backbone"].get());
}

TEST_CASE("simclr: a missing backbone factory is a readable error") {
  ModelsRegistry registry;
  ssl::sdk::BuildContext ctx;
  CHECK_THROWS_WITH(registry.method("simclr", {}, ctx), Catch::Contains("make_backbone"));
}
