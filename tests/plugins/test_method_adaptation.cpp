// method_adaptation: DANCE's loss terms on hand cases, the dance and source_only methods through
// the static twin (a width-4 tiny_cnn, 1 x 16 x 16 images), and the open_set evaluator's scores.
#include <ATen/ATen.h>
#include <catch2/catch.hpp>

#include <cmath>
#include <limits>
#include <vector>

#include "../../plugins/evaluator_core/open_set.h"
#include "../../plugins/method_adaptation/dance_losses.h"
#include "evaluator_core_registry.h"
#include "method_test_util.h"
#include "ssl/sdk/evaluator.h"

using namespace method_test;
namespace ma = ssl::plugins::method_adaptation;

namespace {

// A source with the labels 0, 2 and 5 of 6 classes and a target of 16 images.
ssl::sdk::BuildContext adaptation_context(const ModelsRegistry& registry) {
  ssl::sdk::BuildContext ctx = tiny_context(registry);
  ctx.num_classes = 6;
  ctx.class_ids = {0, 2, 5};
  ctx.target_size = 16;
  return ctx;
}

ssl::sdk::Batch two_domain_batch(int64_t n = 8) {
  ssl::sdk::Batch b;
  b.views = {at::randn({n, 1, 16, 16})};
  b.view_group = {0};
  b.labels = at::tensor(std::vector<int64_t>{0, 2, 5, 0, 2, 5, 0, 2}, at::kLong).narrow(0, 0, n);
  b.indices = at::arange(n, at::kLong);
  b.target_views = {at::randn({n, 1, 16, 16})};
  b.target_indices = at::arange(3, 3 + n, at::kLong);
  return b;
}

double scalar(const ssl::sdk::StepOutput& out, const std::string& name) {
  for (const auto& [k, v] : out.metrics)
    if (k == name) return v.item<double>();
  FAIL("metric " << name << " missing");
  return 0;
}

}  // namespace

TEST_CASE("entropy separation pushes entropies away from rho and leaves the margin alone", "[method_adaptation]") {
  const double rho = 0.5 * std::log(4.0), margin = 0.2;
  // Row 0 confident (H far below rho), row 1 uniform (H = ln 4, far above), row 2 at H = rho.
  at::Tensor logits = at::tensor({4.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0}).reshape({2, 4});
  // A row whose entropy is rho: solve for the logit gap by bisection on [0, 10].
  double lo = 0, hi = 10;
  for (int i = 0; i < 100; ++i) {
    const double mid = (lo + hi) / 2;
    const at::Tensor h = ma::row_entropy(at::tensor({mid, 0.0, 0.0, 0.0}).reshape({1, 4}));
    (h.item<double>() > rho ? lo : hi) = mid;
  }
  logits = at::cat({logits, at::tensor({lo, 0.0, 0.0, 0.0}).reshape({1, 4})}, 0).requires_grad_(true);
  const at::Tensor h = ma::row_entropy(logits.detach());
  REQUIRE(h[0].item<double>() < rho - margin);
  REQUIRE(h[1].item<double>() > rho + margin);
  REQUIRE(std::abs(h[2].item<double>() - rho) < 1e-6);

  const at::Tensor loss = ma::entropy_separation(logits, rho, margin);
  const double want = -(std::abs(h[0].item<double>() - rho) + std::abs(h[1].item<double>() - rho) + margin) / 3;
  CHECK(loss.item<double>() == Approx(want).epsilon(1e-9));
  loss.backward();
  const at::Tensor g = logits.grad();
  CHECK(g[2].abs().max().item<double>() == 0.0);  // inside the margin: no gradient
  // A descent step lowers the confident row's entropy and raises the uniform-ish one's
  // (the exactly uniform row is a stationary point of the entropy, so nudge it first).
  const at::Tensor stepped = logits.detach() - 0.1 * g;
  CHECK(ma::row_entropy(stepped)[0].item<double>() < h[0].item<double>());
  at::Tensor nearly = at::tensor({0.3, 0.0, 0.0, 0.0}).reshape({1, 4}).requires_grad_(true);
  ma::entropy_separation(nearly, rho, margin).backward();
  const double before = ma::row_entropy(nearly.detach()).item<double>();
  CHECK(ma::row_entropy(nearly.detach() - 0.1 * nearly.grad()).item<double>() > before);
  CHECK_THROWS(ma::entropy_separation(logits, rho, -1));
}

TEST_CASE("neighbourhood clustering masks the batch's memory slots and each row's own column", "[method_adaptation]") {
  const double t = 0.5;
  // Two batch features in 2-D, a memory of four slots; the batch holds samples 1 and 3.
  const at::Tensor f = at::tensor({1.0, 0.0, 0.0, 1.0}).reshape({2, 2});
  at::Tensor memory = at::tensor({0.6, 0.8, 1.0, 0.0, -1.0, 0.0, 0.0, 1.0}).reshape({4, 2});
  const at::Tensor index = at::tensor(std::vector<int64_t>{1, 3}, at::kLong);
  const at::Tensor class_logits = at::tensor({2.0, 0.0, 0.0, 2.0}).reshape({2, 2});
  const at::Tensor loss = ma::neighbourhood_clustering(f, index, memory, class_logits, t);
  // By hand: row i's logits are [class_logits_i, f_i . m_0 / t, -1/t, f_i . m_2 / t, -1/t,
  // f_i . f_0 / t or -1/t, f_i . f_1 / t or -1/t] (masked: slots 1 and 3, the own column).
  const double m = -1.0 / t;
  auto entropy = [](std::vector<double> z) {
    double mx = -1e300, s = 0, h = 0;
    for (double v : z) mx = std::max(mx, v);
    for (double v : z) s += std::exp(v - mx);
    for (double v : z) {
      const double p = std::exp(v - mx) / s;
      h -= p * std::log(p);
    }
    return h;
  };
  const double h0 = entropy({2.0, 0.0, 0.6 / t, m, -1.0 / t, m, m, 0.0 / t});
  const double h1 = entropy({0.0, 2.0, 0.8 / t, m, 0.0 / t, m, 0.0 / t, m});
  CHECK(loss.item<double>() == Approx((h0 + h1) / 2).epsilon(1e-9));
  // The batch's own slots do not matter: their stale features are masked.
  at::Tensor changed = memory.clone();
  changed[1].copy_(at::tensor({-1.0, 0.0}));
  changed[3].copy_(at::tensor({1.0, 0.0}));
  CHECK(ma::neighbourhood_clustering(f, index, changed, class_logits, t).item<double>() ==
        Approx(loss.item<double>()).epsilon(1e-12));
  CHECK_THROWS(ma::neighbourhood_clustering(f, index.narrow(0, 0, 1), memory, class_logits, t));
}

TEST_CASE("the memory bank is updated by index: replaced at momentum 0, mixed and renormalised otherwise",
          "[method_adaptation]") {
  at::Tensor memory = at::tensor({1.0, 0.0, 0.0, 1.0, 0.6, 0.8}).reshape({3, 2});
  const at::Tensor index = at::tensor(std::vector<int64_t>{2}, at::kLong);
  ma::update_memory(memory, index, at::tensor({0.0, 3.0}).reshape({1, 2}), 0.0);
  CHECK(at::allclose(memory[2], at::tensor({0.0, 1.0})));
  CHECK(at::allclose(memory[0], at::tensor({1.0, 0.0})));  // other slots untouched
  ma::update_memory(memory, at::tensor(std::vector<int64_t>{0}, at::kLong), at::tensor({0.0, 1.0}).reshape({1, 2}),
                    0.5);
  const double s = std::sqrt(0.5);
  CHECK(at::allclose(memory[0], at::tensor({s, s})));
  CHECK_THROWS(ma::update_memory(memory, index, memory.narrow(0, 0, 1), 1.0));
}

TEST_CASE("dance trains on both domains: source cross-entropy over the source's classes, the target terms, the memory",
          "[method_adaptation]") {
  at::manual_seed(3);
  ModelsRegistry registry;
  auto method = registry.method("dance", {}, adaptation_context(registry));
  CHECK(registry.views("dance").min_views == 1);
  CHECK(registry.spec(ssl::sdk::Kind::Method, "dance").uses_target_domain_for(
      registry.spec(ssl::sdk::Kind::Method, "dance").schema.resolve({}, "dance")));
  CHECK(method->prediction_classes() == std::vector<int64_t>{0, 2, 5});
  const ssl::sdk::Batch batch = two_domain_batch();

  at::Tensor memory_before;
  for (const auto& item : method->named_buffers())
    if (item.key() == "memory") memory_before = item.value().clone();
  REQUIRE(memory_before.defined());
  REQUIRE(memory_before.size(0) == 16);

  const auto out = method->training_step(batch, step_info(0));
  REQUIRE(std::isfinite(out.loss.item<double>()));
  const double ce = scalar(out, "source_ce"), nc = scalar(out, "nc"), es = scalar(out, "es");
  CHECK(out.loss.item<double>() == Approx(ce + 0.05 * (nc + es)).epsilon(1e-6));
  CHECK(es <= -0.5 + 1e-9);  // -mean max(|H - rho|, 0.5)
  // The cross-entropy is over the source's 3 classes: labels 0, 2, 5 are columns 0, 1, 2.
  at::Tensor probs;
  {
    at::NoGradGuard no_grad;
    probs = method->predict(batch.views[0]);  // train mode, as in the step: the same batch statistics
  }
  REQUIRE(probs.sizes() == at::IntArrayRef({8, 3}));
  CHECK(at::allclose(probs.sum(1), at::ones({8}, at::kFloat)));
  const std::vector<int64_t> column{0, 1, 2, 0, 1, 2, 0, 1};
  double manual = 0;
  for (int64_t i = 0; i < 8; ++i) manual -= std::log(probs[i][column[size_t(i)]].item<double>()) / 8;
  CHECK(ce == Approx(manual).epsilon(1e-5));

  out.loss.backward();
  method->after_step(step_info(0));
  at::Tensor memory_after;
  for (const auto& item : method->named_buffers())
    if (item.key() == "memory") memory_after = item.value();
  for (int64_t i = 0; i < 16; ++i) {
    const bool in_batch = i >= 3 && i < 11;
    INFO("slot " << i);
    CHECK(at::equal(memory_after[i], memory_before[i]) == !in_batch);
    CHECK(memory_after[i].norm().item<double>() == Approx(1.0).epsilon(1e-5));
  }
  for (const auto& item : method->named_parameters())
    if (item.key() == "classifier.weight") CHECK(at::allclose(item.value().norm(2, 1), at::ones({3})));

  SECTION("a source without two classes is refused") {
    ssl::sdk::BuildContext one = adaptation_context(registry);
    one.class_ids = {4};
    CHECK_THROWS_WITH(registry.method("dance", {}, one), Catch::Contains("needs at least 2"));
  }
}

TEST_CASE("source_only trains on the source labels alone and ignores the target batch", "[method_adaptation]") {
  at::manual_seed(4);
  ModelsRegistry registry;
  auto method = registry.method("source_only", {}, adaptation_context(registry));
  method->eval();  // batch norm in eval mode: the loss is a function of the source batch only
  ssl::sdk::Batch batch = two_domain_batch();
  const double a = method->training_step(batch, step_info(0)).loss.item<double>();
  batch.target_views = {at::randn({8, 1, 16, 16}) * 10};
  const double b = method->training_step(batch, step_info(0)).loss.item<double>();
  CHECK(a == b);
  batch.labels = at::tensor(std::vector<int64_t>{5, 5, 5, 5, 5, 5, 5, 5}, at::kLong);
  CHECK(method->training_step(batch, step_info(0)).loss.item<double>() != a);
}

TEST_CASE("open-set scores on hand-made predictions", "[evaluator_core]") {
  namespace ec = ssl::plugins::evaluator_core;
  // Classes 3 and 8 are known; 7 is target-private. Threshold 0.5 ln 2.
  const at::Tensor ids = at::tensor(std::vector<int64_t>{3, 8}, at::kLong);
  const at::Tensor p = at::tensor({0.99, 0.01,    // 3, right and confident
                                   0.5, 0.5,      // 3, rejected as unknown (the argmax is 3)
                                   0.99, 0.01,    // 8, wrong
                                   0.5, 0.5,      // 7, rejected: a hit
                                   0.01, 0.99})   // 7, confidently 8: a miss
                           .reshape({5, 2});
  const at::Tensor y = at::tensor(std::vector<int64_t>{3, 3, 8, 7, 7}, at::kLong);
  const ec::OpenSetScores s = ec::open_set_scores(p, ids, y, 0.5 * std::log(2.0));
  CHECK(s.known_samples == 3);
  CHECK(s.unknown_samples == 2);
  CHECK(s.known_acc == Approx((0.5 + 0.0) / 2));
  CHECK(s.closed_acc == Approx((1.0 + 0.0) / 2));
  CHECK(s.false_unknown == Approx(1.0 / 3));
  CHECK(s.unknown_recall == Approx(0.5));
  CHECK(s.h_score == Approx(2 * 0.25 * 0.5 / 0.75));
  // Closed set: no private samples, no unknown recall and no H-score.
  const ec::OpenSetScores closed = ec::open_set_scores(p.narrow(0, 0, 3), ids, y.narrow(0, 0, 3), 0.3);
  CHECK(std::isnan(closed.unknown_recall));
  CHECK(std::isnan(closed.h_score));
  CHECK_THROWS(ec::open_set_scores(p, ids.narrow(0, 0, 1), y, 0.3));
}

TEST_CASE("the open_set evaluator reads the method's predictions of the labelled test split", "[evaluator_core]") {
  using ssl::sdk::Representation;
  using ssl::sdk::Split;
  ssl::test::FakeFeatureSource source;
  const at::Tensor p = at::tensor({0.9, 0.1, 0.5, 0.5, 0.05, 0.95, 0.5, 0.5}).reshape({4, 2});
  source.set(Split::Test, Representation::Predictions, {p, at::tensor(std::vector<int64_t>{0, 0, 1, 9}, at::kLong), {}});
  source.class_ids[{int(Split::Test), int(Representation::Predictions)}] = at::tensor(std::vector<int64_t>{0, 1}, at::kLong);
  auto e = ssl::test::evaluator_core_components().build<ssl::sdk::Evaluator>(ssl::sdk::Kind::Evaluator, "open_set", {});
  ssl::sdk::EvalContext ctx;
  ctx.features = &source;
  const auto r = e->evaluate(ctx);
  std::map<std::string, double> m(r.metrics.begin(), r.metrics.end());
  CHECK(m.at("known_samples") == 3);
  CHECK(m.at("unknown_samples") == 1);
  CHECK(m.at("known_acc") == Approx((0.5 + 1.0) / 2));
  CHECK(m.at("unknown_recall") == 1.0);
  CHECK(m.at("h_score") == Approx(2 * 0.75 / 1.75));
  // Features without class ids (a method without a classifier) are refused by name.
  source.class_ids.clear();
  CHECK_THROWS_WITH(e->evaluate(ctx), Catch::Contains("open_set needs the predictions of a classifier"));
}
