// Alarms: thresholds on metrics records, one warning per crossing, re-armed on recovery.
#include <catch2/catch.hpp>

#include <ATen/ATen.h>

#include <cmath>

#include "alarms.h"
#include "ssl/nn/collapse_metrics.h"

using ssl::host::AlarmOptions;
using ssl::host::Alarms;
using json = nlohmann::json;

namespace {
json eval_rec(int64_t epoch, double std_sqrt_d) {
  return json{{"step", epoch * 10}, {"epoch", epoch}, {"final", false}, {"collapse/embedding/std_sqrt_d", std_sqrt_d}};
}
}  // namespace

TEST_CASE("an alarm fires on collapsed embeddings and not on healthy ones") {
  at::manual_seed(0);
  const at::Tensor healthy = at::randn({512, 32});
  const at::Tensor collapsed = at::ones({512, 32}) + 1e-4 * at::randn({512, 32});
  Alarms alarms;
  const double good = ssl::nn::normalized_std(healthy).std_sqrt_d;
  const double bad = ssl::nn::normalized_std(collapsed).std_sqrt_d;
  CHECK(alarms.observe(eval_rec(1, good), 1).empty());
  const auto fired = alarms.observe(eval_rec(2, bad), 2);
  REQUIRE(fired.size() == 1);
  CHECK(fired[0].metric == "collapse/embedding/std_sqrt_d");
  CHECK(fired[0].value == Approx(bad));
  CHECK(fired[0].threshold == Approx(0.1));
  CHECK(fired[0].step == 20);
  CHECK_THAT(fired[0].line(), Catch::StartsWith("alarm: collapse/embedding/std_sqrt_d = ") &&
                                  Catch::Contains("< 0.1 at epoch 2") && Catch::Contains("complete collapse"));
  const json r = fired[0].record();
  CHECK(r["alarm"] == "collapse/embedding/std_sqrt_d");
  CHECK(r["epoch"] == 2);
  CHECK(r["threshold"].get<double>() == Approx(0.1));
  CHECK(r.contains("meaning"));
}

TEST_CASE("an alarm fires once per crossing and re-arms when the metric recovers") {
  Alarms alarms;
  CHECK(alarms.observe(eval_rec(1, 0.05), 1).size() == 1);
  CHECK(alarms.observe(eval_rec(2, 0.04), 2).empty());  // still collapsed: no repeat
  CHECK(alarms.observe(eval_rec(3, 0.02), 3).empty());
  CHECK(alarms.observe(eval_rec(4, 0.5), 4).empty());   // recovered: re-armed
  CHECK(alarms.observe(eval_rec(5, 0.03), 5).size() == 1);
  // Keys are independent; NaN is ignored and does not re-arm.
  CHECK(alarms.observe(json{{"step", 60}, {"epoch", 6}, {"batch/std_sqrt_d", 0.01}}, 6).size() == 1);
  CHECK(alarms.observe(eval_rec(6, NAN), 6).empty());
  CHECK(alarms.observe(eval_rec(7, 0.01), 7).empty());
}

TEST_CASE("rankme alarms use the feature dimension from the record or the registered one") {
  AlarmOptions o;
  o.rankme_fraction_below = 0.25;
  Alarms alarms(o);
  // No dimension known: not checked.
  CHECK(alarms.observe(json{{"step", 1}, {"epoch", 1}, {"collapse/embedding/rankme", 1.0}}, 1).empty());
  alarms.set_dimension("embedding", 64);
  CHECK(alarms.observe(json{{"step", 2}, {"epoch", 1}, {"collapse/embedding/rankme", 20.0}}, 1).empty());  // 20 >= 16
  auto fired = alarms.observe(json{{"step", 3}, {"epoch", 1}, {"collapse/embedding/rankme", 3.0}}, 1);
  REQUIRE(fired.size() == 1);
  CHECK(fired[0].threshold == Approx(16.0));
  fired = alarms.observe(json{{"step", 4}, {"epoch", 1}, {"simclr/rankme", 3.0}, {"simclr/dim", 8}}, 1);
  CHECK(fired.empty());  // 3 >= 0.25 * 8
  fired = alarms.observe(json{{"step", 5}, {"epoch", 1}, {"simclr/rankme", 1.5}, {"simclr/dim", 8}}, 1);
  REQUIRE(fired.size() == 1);
  CHECK(fired[0].metric == "simclr/rankme");
}

TEST_CASE("a K-way loss stuck near ln K fires after the patience and not at the start") {
  AlarmOptions o;
  o.uniform_loss_tolerance = 0.02;
  o.uniform_loss_patience = 20;
  Alarms alarms(o);
  const double ln_k = std::log(256.0);
  auto rec = [&](int64_t step, double loss) {
    return json{{"step", step}, {"epoch", 0}, {"loss", loss}, {"m/uniform_loss_ref", ln_k}};
  };
  CHECK(alarms.observe(rec(10, ln_k), 1).empty());  // an untrained model starts at ln K
  CHECK(alarms.observe(rec(20, ln_k * 1.01), 1).empty());
  auto fired = alarms.observe(rec(30, ln_k * 0.995), 1);
  REQUIRE(fired.size() == 1);
  CHECK(fired[0].metric == "loss");
  CHECK(alarms.observe(rec(40, ln_k), 1).empty());       // once
  CHECK(alarms.observe(rec(50, ln_k * 0.5), 1).empty());  // learning: re-armed
  CHECK(alarms.observe(rec(60, ln_k), 1).empty());        // patience starts again
  CHECK(alarms.observe(rec(80, ln_k), 1).size() == 1);
  // Without a reference the loss is never checked.
  Alarms plain(o);
  for (int64_t s = 0; s < 100; s += 10) CHECK(plain.observe(json{{"step", s}, {"epoch", 0}, {"loss", ln_k}}, 1).empty());
}

TEST_CASE("alarm thresholds of zero switch the checks off and alarm records are not re-checked") {
  AlarmOptions o;
  o.std_sqrt_d_below = 0;
  Alarms alarms(o);
  CHECK(alarms.observe(eval_rec(1, 0.0), 1).empty());
  Alarms on;
  CHECK(on.observe(json{{"step", 1}, {"epoch", 1}, {"alarm", "x/std_sqrt_d"}, {"value", 0.0}, {"x/std_sqrt_d", 0.0}}, 1).empty());
}
