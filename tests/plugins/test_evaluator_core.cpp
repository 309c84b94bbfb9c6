// The evaluator_core plugin: knn, linear and collapse on constructed features.
#include <ATen/ATen.h>
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "../../plugins/evaluator_core/class_groups.h"
#include "../../plugins/evaluator_core/knn.h"
#include "../../plugins/evaluator_core/linear_probe.h"
#include "evaluator_core_registry.h"
#include "ssl/sdk/evaluator.h"

using ssl::sdk::Representation;
using ssl::sdk::Split;
using ssl::test::FakeFeatureSource;
namespace ec = ssl::plugins::evaluator_core;

namespace {

struct Data {
  at::Tensor x, y;
};

// `per_class` points around each of `classes` random centres of norm ~scale in `d` dims.
Data clusters(int64_t classes, int64_t per_class, int64_t d, double scale, double noise) {
  const at::Tensor centres = at::randn({classes, d}) * scale;
  const at::Tensor y = at::arange(classes, at::kLong).repeat_interleave(per_class);
  return {centres.index_select(0, y) + noise * at::randn({classes * per_class, d}), y};
}

std::shared_ptr<ssl::sdk::Evaluator> build(const std::string& name,
                                           std::map<std::string, ssl::sdk::Value> given = {}) {
  return ssl::test::evaluator_core_components().build<ssl::sdk::Evaluator>(ssl::sdk::Kind::Evaluator, name, given);
}

double metric(const ssl::sdk::EvalResult& r, const std::string& key) {
  for (const auto& [k, v] : r.metrics)
    if (k == key) return v;
  FAIL("metric " << key << " missing");
  return 0.0;
}

ssl::sdk::EvalContext context(FakeFeatureSource& source, uint64_t seed = 0) {
  ssl::sdk::EvalContext ctx;
  ctx.features = &source;
  ctx.seed = seed;
  return ctx;
}

}  // namespace

TEST_CASE("evaluator_core registers knn, linear, balance, collapse, clustering and open_set evaluators", "[evaluator_core]") {
  const auto r = ssl::test::evaluator_core_components();
  REQUIRE(r.specs().size() == 6);
  for (const char* name : {"knn", "linear", "balance", "collapse", "clustering", "open_set"})
    CHECK(r.spec(ssl::sdk::Kind::Evaluator, name).kind() == ssl::sdk::Kind::Evaluator);
  CHECK(std::get<int64_t>(*r.spec(ssl::sdk::Kind::Evaluator, "knn").schema.find("k")->default_value) == 200);
  CHECK(std::get<double>(*r.spec(ssl::sdk::Kind::Evaluator, "knn").schema.find("temperature")->default_value) == 0.1);
}

TEST_CASE("knn scores well-separated Gaussian clusters perfectly", "[evaluator_core]") {
  at::manual_seed(11);
  const Data train = clusters(5, 60, 16, 10.0, 0.1), test = clusters(5, 20, 16, 0.0, 0.0);
  FakeFeatureSource source;
  // Test points: the same centres as train, slightly perturbed.
  const at::Tensor centres = train.x.index_select(0, at::arange(5, at::kLong) * 60);
  const at::Tensor test_x = centres.index_select(0, test.y) + 0.1 * at::randn({100, 16});
  source.set(Split::Train, Representation::Backbone, {train.x, train.y, {}});
  source.set(Split::Test, Representation::Backbone, {test_x, test.y, {}});
  source.classes = 5;
  auto ctx = context(source);
  const auto result = build("knn", {{"k", int64_t{20}}, {"chunk_size", int64_t{7}}})->evaluate(ctx);
  CHECK(metric(result, "top1") == 1.0);
  CHECK(metric(result, "top5") == 1.0);
}

TEST_CASE("knn on random labels is close to chance", "[evaluator_core]") {
  at::manual_seed(12);
  FakeFeatureSource source;
  source.set(Split::Train, Representation::Backbone,
             {at::randn({3000, 16}), at::randint(0, 10, {3000}, at::kLong), {}});
  source.set(Split::Test, Representation::Backbone,
             {at::randn({2000, 16}), at::randint(0, 10, {2000}, at::kLong), {}});
  source.classes = 10;
  auto ctx = context(source);
  const auto result = build("knn", {{"k", int64_t{20}}})->evaluate(ctx);
  CHECK(metric(result, "top1") == Approx(0.1).margin(0.03));
  CHECK(metric(result, "top5") == Approx(0.5).margin(0.05));
}

TEST_CASE("knn class scores match a brute-force loop over each query", "[evaluator_core]") {
  at::manual_seed(13);
  const int64_t classes = 3, k = 4;
  const double t = 0.1;
  const at::Tensor bank = at::randn({30, 5}), labels = at::randint(0, classes, {30}, at::kLong);
  const at::Tensor queries = at::randn({7, 5});
  ec::KnnOptions options;
  options.k = k;
  options.temperature = t;
  options.chunk_size = 3;
  const at::Tensor scores = ec::knn_scores(bank, labels, queries, classes, options);
  REQUIRE(scores.sizes() == at::IntArrayRef{7, classes});

  const auto b = bank.accessor<float, 2>();
  const auto q = queries.accessor<float, 2>();
  for (int64_t i = 0; i < 7; ++i) {
    std::vector<std::pair<double, int64_t>> sims;  // (cosine, bank index)
    for (int64_t j = 0; j < 30; ++j) {
      double dot = 0, nq = 0, nb = 0;
      for (int64_t c = 0; c < 5; ++c) {
        dot += q[i][c] * b[j][c];
        nq += q[i][c] * q[i][c];
        nb += b[j][c] * b[j][c];
      }
      sims.emplace_back(dot / std::sqrt(nq * nb), j);
    }
    std::sort(sims.begin(), sims.end(), [](auto& a, auto& c) { return a.first > c.first; });
    std::vector<double> expected(classes, 0.0);
    for (int64_t n = 0; n < k; ++n)
      expected[labels[sims[n].second].item<int64_t>()] += std::exp(sims[n].first / t);
    for (int64_t c = 0; c < classes; ++c)
      CHECK(scores[i][c].item<double>() == Approx(expected[c]).epsilon(1e-4));
  }
}

TEST_CASE("knn without a test split fails with a clear error", "[evaluator_core]") {
  at::manual_seed(14);
  FakeFeatureSource source;
  source.set(Split::Train, Representation::Backbone,
             {at::randn({20, 4}), at::randint(0, 2, {20}, at::kLong), {}});
  auto ctx = context(source);
  CHECK_THROWS_WITH(build("knn")->evaluate(ctx),
                    Catch::Contains("knn needs a test split: add [data.test] to the pipeline"));
  CHECK_THROWS_WITH(build("linear")->evaluate(ctx),
                    Catch::Contains("linear needs a test split: add [data.test] to the pipeline"));
}

TEST_CASE("a stop requested during feature extraction passes through every evaluator unchanged", "[evaluator_core]") {
  // The host checkpoints and exits 130 on sdk::Interrupted; an evaluator that wrapped it in its
  // own error (as "needs a test split" once did) turned Ctrl-C into a failed run.
  at::manual_seed(16);
  FakeFeatureSource source;
  for (Split split : {Split::Train, Split::Test})
    for (auto repr : {ssl::sdk::Representation::Backbone, ssl::sdk::Representation::Embedding})
      source.set(split, repr, {at::randn({20, 4}), at::randint(0, 2, {20}, at::kLong), at::randn({2, 20, 4})});
  source.classes = 2;
  source.interrupt = true;
  auto ctx = context(source);
  for (const char* name : {"knn", "linear", "balance", "collapse", "clustering", "open_set"}) {
    INFO(name);
    CHECK_THROWS_AS(build(name)->evaluate(ctx), ssl::sdk::Interrupted);
  }
  CHECK(source.calls >= 6);
}

TEST_CASE("knn and linear refuse unlabelled data with a clear error", "[evaluator_core]") {
  at::manual_seed(15);
  FakeFeatureSource source;
  const at::Tensor unknown = at::full({20}, -1, at::kLong);
  source.set(Split::Train, Representation::Backbone, {at::randn({20, 4}), unknown, {}});
  source.set(Split::Test, Representation::Backbone, {at::randn({20, 4}), unknown, {}});
  auto ctx = context(source);
  CHECK_THROWS_WITH(build("knn")->evaluate(ctx), Catch::Contains("knn needs labels"));
  CHECK_THROWS_WITH(build("linear")->evaluate(ctx), Catch::Contains("unlabelled"));
}

TEST_CASE("the linear probe separates linearly separable data", "[evaluator_core]") {
  at::manual_seed(16);
  const Data train = clusters(4, 250, 8, 3.0, 0.3);
  const at::Tensor centres = train.x.index_select(0, at::arange(4, at::kLong) * 250);
  const at::Tensor test_y = at::arange(4, at::kLong).repeat_interleave(50);
  const at::Tensor test_x = centres.index_select(0, test_y) + 0.3 * at::randn({200, 8});
  FakeFeatureSource source;
  source.set(Split::Train, Representation::Backbone, {train.x * 50.0, train.y, {}});
  source.set(Split::Test, Representation::Backbone, {test_x * 50.0, test_y, {}});
  source.classes = 4;
  auto ctx = context(source, 5);
  const auto result = build("linear", {{"epochs", int64_t{10}}})->evaluate(ctx);
  CHECK(metric(result, "top1") >= 0.99);
  CHECK(metric(result, "train_top1") >= 0.99);
}

TEST_CASE("the linear probe is deterministic for a fixed seed", "[evaluator_core]") {
  at::manual_seed(17);
  // Overlapping clusters: accuracy well below 1, so it depends on every SGD step.
  const Data train = clusters(5, 200, 8, 1.0, 1.0);
  const Data test = {train.x + 0.5 * at::randn(train.x.sizes()), train.y};
  ec::LinearProbeOptions options;
  options.epochs = 3;
  options.seed = 9;
  const auto a = ec::linear_probe(train.x, train.y, test.x, test.y, 5, options, at::kCPU);
  const auto b = ec::linear_probe(train.x, train.y, test.x, test.y, 5, options, at::kCPU);
  CHECK(a.train_top1 < 0.99);
  CHECK(a.train_top1 == b.train_top1);
  CHECK(a.test_top1 == b.test_top1);
  options.seed = 10;
  options.epochs = 1;
  options.lr = 1.0;
  const auto c = ec::linear_probe(train.x, train.y, test.x, test.y, 5, options, at::kCPU);
  const auto d = ec::linear_probe(train.x, train.y, test.x, test.y, 5, options, at::kCPU);
  CHECK(c.test_top1 == d.test_top1);
}

TEST_CASE("the collapse evaluator reports both representations and writes the spectra",
          "[evaluator_core]") {
  at::manual_seed(18);
  const int64_t n = 300, d = 12;
  FakeFeatureSource source;
  const at::Tensor healthy = at::randn({n, d});
  const at::Tensor labels = at::full({n}, -1, at::kLong);  // collapse needs no labels
  source.set(Split::Train, Representation::Backbone,
             {healthy, labels, at::stack({healthy, healthy + 0.1 * at::randn({n, d})})});
  const at::Tensor collapsed = at::randn({1, d}).repeat({n, 1});
  source.set(Split::Train, Representation::Embedding,
             {collapsed, labels, at::stack({collapsed, collapsed})});
  auto ctx = context(source, 3);
  ctx.epoch = 7;
  const auto run_dir = std::filesystem::temp_directory_path() / "ssl_test_collapse_evaluator";
  std::filesystem::remove_all(run_dir);
  ctx.run_dir = run_dir;

  const auto result = build("collapse", {{"num_samples", int64_t{200}}})->evaluate(ctx);
  CHECK(metric(result, "backbone/std_sqrt_d") > 0.8);
  CHECK(metric(result, "backbone/rankme") > 0.8 * d);
  CHECK(metric(result, "backbone/small_sv") == 0);
  CHECK(metric(result, "backbone/alignment") > 0.0);
  CHECK(metric(result, "backbone/alignment") < 0.1);
  CHECK(metric(result, "backbone/uniformity") < -1.0);
  CHECK(metric(result, "embedding/std") == Approx(0.0).margin(1e-9));
  CHECK(metric(result, "embedding/small_sv") == d);
  CHECK(metric(result, "embedding/alignment") == Approx(0.0).margin(1e-9));
  CHECK(metric(result, "embedding/uniformity") == Approx(0.0).margin(1e-6));
  CHECK(source.calls == 4);

  for (const char* repr : {"backbone", "embedding"}) {
    const auto path = run_dir / "spectra" / (std::string(repr) + "_epoch007.csv");
    REQUIRE(std::filesystem::exists(path));
    std::ifstream in(path);
    std::string line;
    std::getline(in, line);
    CHECK(line == "k,sigma");
    std::vector<double> values;
    while (std::getline(in, line)) values.push_back(std::stod(line.substr(line.find(',') + 1)));
    REQUIRE(values.size() == static_cast<size_t>(d));
    CHECK(std::is_sorted(values.rbegin(), values.rend()));
  }
  CHECK_FALSE(std::filesystem::exists(run_dir / "spectra" / "backbone_epoch007.csv.tmp"));
  std::filesystem::remove_all(run_dir);
}

TEST_CASE("the collapse evaluator skips pairs and files when asked to", "[evaluator_core]") {
  at::manual_seed(19);
  FakeFeatureSource source;
  source.set(Split::Train, Representation::Backbone,
             {at::randn({50, 4}), at::full({50}, -1, at::kLong), {}});
  auto ctx = context(source);
  const auto result =
      build("collapse", {{"pairs", false},
                         {"representations", std::vector<std::string>{"backbone"}}})
          ->evaluate(ctx);
  CHECK(result.metrics.size() == 4);
  CHECK(source.calls == 1);
}

TEST_CASE("head and tail are the thirds of the classes with the most and the fewest training images",
          "[evaluator_core]") {
  // The ratio-100 long tail of Fashion-MNIST: label 0 the head, label 9 the tail.
  const auto lt = ec::head_and_tail({6000, 3596, 2156, 1292, 774, 464, 278, 166, 100, 60});
  CHECK(lt.head == std::vector<int64_t>{0, 1, 2, 3});  // ceil(10 / 3) = 4 each
  CHECK(lt.tail == std::vector<int64_t>{6, 7, 8, 9});
  // Counts decide, not labels; equal counts keep label order; classes without images are left out.
  const auto shuffled = ec::head_and_tail({5, 50, 0, 20, 20});
  CHECK(shuffled.head == std::vector<int64_t>{1, 3});
  CHECK(shuffled.tail == std::vector<int64_t>{4, 0});
  const auto balanced = ec::head_and_tail(std::vector<int64_t>(10, 100));
  CHECK(balanced.head == std::vector<int64_t>{0, 1, 2, 3});
  CHECK(balanced.tail == std::vector<int64_t>{6, 7, 8, 9});
  CHECK(ec::head_and_tail({7}).head.empty());
  CHECK(ec::head_and_tail({}).tail.empty());
}

TEST_CASE("per-class accuracy counts each class's hits, NaN for a class without samples", "[evaluator_core]") {
  const at::Tensor labels = at::tensor(std::vector<int64_t>{0, 0, 0, 0, 1, 1, 3, 3}, at::kLong);
  const at::Tensor predictions = at::tensor(std::vector<int64_t>{0, 0, 0, 1, 1, 0, 0, 0}, at::kLong);
  const auto acc = ec::per_class_accuracy(predictions, labels, 4);
  REQUIRE(acc.size() == 4);
  CHECK(acc[0] == 0.75);
  CHECK(acc[1] == 0.5);
  CHECK(std::isnan(acc[2]));
  CHECK(acc[3] == 0.0);
  CHECK(ec::group_mean(acc, {0, 1, 2}) == 0.625);
  CHECK(std::isnan(ec::group_mean(acc, {2})));
  CHECK_THROWS_WITH(ec::per_class_accuracy(predictions, labels, 3), Catch::Contains("labels must lie in [0, 3)"));

  ssl::sdk::EvalResult out;
  ec::add_per_class_metrics(predictions, labels, 4, {40, 30, 20, 10}, out);  // C = 4: two head, two tail
  CHECK(metric(out, "class0/top1") == 0.75);
  CHECK(metric(out, "class3/top1") == 0.0);
  CHECK(metric(out, "worst_class/top1") == 0.0);
  CHECK(metric(out, "head/top1") == 0.625);
  CHECK(metric(out, "tail/top1") == 0.0);  // class 2 has no test sample: the tail mean is class 3's
  for (const auto& [k, v] : out.metrics) CHECK(k != "class2/top1");
  ssl::sdk::EvalResult unknown_counts;
  ec::add_per_class_metrics(predictions, labels, 4, {}, unknown_counts);
  for (const auto& [k, v] : unknown_counts.metrics) CHECK(k.rfind("head/", 0) != 0);
}

TEST_CASE("knn and linear report per-class, worst, head and tail accuracy when asked", "[evaluator_core]") {
  at::manual_seed(20);
  // Classes 0-3 well apart; classes 4 and 5 share a centre, so they are confused with each other.
  Data train = clusters(6, 80, 8, 5.0, 0.2);
  train.x.narrow(0, 5 * 80, 80).copy_(train.x.narrow(0, 4 * 80, 80) + 0.2 * at::randn({80, 8}));
  const Data test = {train.x + 0.05 * at::randn(train.x.sizes()), train.y};
  FakeFeatureSource source;
  source.set(Split::Train, Representation::Backbone, {train.x, train.y, {}});
  source.set(Split::Test, Representation::Backbone, {test.x, test.y, {}});
  source.classes = 6;
  auto ctx = context(source, 4);
  ctx.train_class_counts = {1, 2, 6, 5, 4, 3};  // head: classes 2 and 3; tail: 1 and 0
  for (const char* name : {"knn", "linear"}) {
    INFO(name);
    std::map<std::string, ssl::sdk::Value> keys;
    if (std::string(name) == "knn") keys["k"] = int64_t{20};
    const auto plain = build(name, keys)->evaluate(ctx);
    for (const auto& [k, v] : plain.metrics) CHECK(k.find("class") == std::string::npos);
    keys["per_class"] = true;
    const auto r = build(name, keys)->evaluate(ctx);
    for (int c = 0; c < 4; ++c) CHECK(metric(r, "class" + std::to_string(c) + "/top1") >= 0.95);
    const double confused = std::min(metric(r, "class4/top1"), metric(r, "class5/top1"));
    CHECK(confused < 0.85);
    CHECK(metric(r, "worst_class/top1") == confused);
    CHECK(metric(r, "head/top1") == Approx((metric(r, "class2/top1") + metric(r, "class3/top1")) / 2));
    CHECK(metric(r, "tail/top1") == Approx((metric(r, "class0/top1") + metric(r, "class1/top1")) / 2));
  }
}

TEST_CASE("balance finds the tail classes' crowded, weak features", "[evaluator_core]") {
  at::manual_seed(21);
  // Six classes on orthogonal axes. Balanced: all alike. Long-tailed: the three tail classes
  // (fewest training images) have half the norm and sit close together.
  const int64_t per = 100, d = 6;
  const at::Tensor y = at::arange(6, at::kLong).repeat_interleave(per);
  const at::Tensor axes = at::eye(d, at::kFloat).index_select(0, y);
  const at::Tensor even = 4.0 * axes + 0.3 * at::randn({6 * per, d});
  at::Tensor uneven = even.clone();
  const at::Tensor tail_centre = at::full({d}, 1.0f);
  for (int64_t c = 3; c < 6; ++c) {
    at::Tensor rows = uneven.narrow(0, c * per, per);
    rows.copy_(0.5 * (4.0 * tail_centre / std::sqrt(double(d)) + 0.3 * axes.narrow(0, c * per, per) +
                      0.3 * at::randn({per, d})));
  }
  const std::vector<int64_t> counts = {600, 500, 400, 30, 20, 10};
  auto measure = [&](const at::Tensor& x) {
    FakeFeatureSource source;
    source.set(Split::Test, Representation::Backbone, {x, y, {}});
    source.classes = 6;
    auto ctx = context(source);
    ctx.train_class_counts = counts;
    return build("balance")->evaluate(ctx);
  };
  const auto b = measure(even), u = measure(uneven);
  CHECK(metric(b, "tail_over_head/separability") == Approx(1.0).margin(0.15));
  CHECK(metric(b, "tail_over_head/norm") == Approx(1.0).margin(0.05));
  CHECK(metric(b, "norm_cv") < 0.05);
  CHECK(metric(u, "tail_over_head/separability") < 0.5);
  CHECK(metric(u, "tail_over_head/norm") == Approx(0.5).margin(0.05));
  CHECK(metric(u, "norm_cv") > 0.25);
  CHECK(metric(u, "worst_class/separability") < metric(b, "worst_class/separability"));
  CHECK(metric(u, "separability_cv") > metric(b, "separability_cv"));

  // Without training counts (an unlabelled training split) there is no head and tail.
  FakeFeatureSource source;
  source.set(Split::Test, Representation::Backbone, {even, y, {}});
  auto ctx = context(source);
  const auto no_groups = build("balance")->evaluate(ctx);
  CHECK(metric(no_groups, "separability") > 0);
  for (const auto& [k, v] : no_groups.metrics) CHECK(k.find("head") == std::string::npos);
  // Unlabelled features: a clear error.
  FakeFeatureSource unlabelled;
  unlabelled.set(Split::Test, Representation::Backbone, {even, at::full({6 * per}, -1, at::kLong), {}});
  auto uctx = context(unlabelled);
  CHECK_THROWS_WITH(build("balance")->evaluate(uctx), Catch::Contains("balance needs labelled samples"));
}
