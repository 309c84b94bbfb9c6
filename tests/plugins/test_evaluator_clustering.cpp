// The `clustering` evaluator of evaluator_core: k-means on test features, scored.
#include <ATen/ATen.h>
#include <catch2/catch.hpp>

#include "evaluator_core_registry.h"
#include "ssl/sdk/evaluator.h"

using ssl::sdk::Representation;
using ssl::sdk::Split;
using ssl::test::FakeFeatureSource;

namespace {
double metric(const ssl::sdk::EvalResult& r, const std::string& key) {
  for (const auto& [k, v] : r.metrics)
    if (k == key) return v;
  FAIL("metric " << key << " missing");
  return 0.0;
}
ssl::sdk::EvalResult evaluate(FakeFeatureSource& source, std::map<std::string, ssl::sdk::Value> keys = {}) {
  auto e = ssl::test::evaluator_core_components().build<ssl::sdk::Evaluator>(ssl::sdk::Kind::Evaluator, "clustering", keys);
  ssl::sdk::EvalContext ctx;
  ctx.features = &source;
  ctx.seed = 3;
  return e->evaluate(ctx);
}
}  // namespace

TEST_CASE("clustering scores separated classes perfectly and a collapsed embedding as one cluster", "[evaluator_core]") {
  at::manual_seed(1);
  const at::Tensor centres = at::randn({4, 16}) * 10;
  const at::Tensor y = at::arange(4, at::kLong).repeat_interleave(50);
  FakeFeatureSource source;
  source.classes = 4;
  source.set(Split::Test, Representation::Backbone, {centres.index_select(0, y) + 0.1 * at::randn({200, 16}), y, {}});
  const auto r = evaluate(source);
  CHECK(metric(r, "nmi") == Approx(1.0));
  CHECK(metric(r, "ari") == Approx(1.0));
  CHECK(metric(r, "accuracy") == Approx(1.0));
  CHECK(metric(r, "size_entropy") == Approx(1.0));
  CHECK(source.calls == 1);

  // Every sample maps to the same point: one cluster holds everything, whatever the labels say.
  source.set(Split::Test, Representation::Embedding, {at::ones({200, 16}), y, {}});
  const auto collapsed = evaluate(source, {{"representation", std::string("embedding")}});
  CHECK(metric(collapsed, "size_entropy") < 0.05);
  CHECK(metric(collapsed, "nmi") < 0.05);

  // Unlabelled: only the balance; k must then be given.
  source.set(Split::Test, Representation::Backbone, {centres.index_select(0, y), at::full({200}, -1, at::kLong), {}});
  source.classes = 0;
  CHECK_THROWS_WITH(evaluate(source), Catch::Contains("set k"));
  const auto unlabelled = evaluate(source, {{"k", int64_t{4}}});
  REQUIRE(unlabelled.metrics.size() == 1);
  CHECK(metric(unlabelled, "size_entropy") == Approx(1.0));
}
