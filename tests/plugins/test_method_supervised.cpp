// method_supervised: the supervised baseline through the static twin, on a width-4 tiny_cnn
// and 1 x 16 x 16 images.
#include <ATen/ATen.h>
#include <catch2/catch.hpp>
#include <torch/nn/modules/linear.h>

#include <cmath>
#include <vector>

#include "method_test_util.h"

using namespace method_test;

namespace {

ssl::sdk::BuildContext labelled_context(const ModelsRegistry& registry, int64_t classes) {
  ssl::sdk::BuildContext ctx = tiny_context(registry);
  ctx.num_classes = classes;
  return ctx;
}

std::shared_ptr<ssl::sdk::Method> supervised(const ModelsRegistry& registry, int64_t classes, Values v = {}) {
  return registry.method("supervised", v, labelled_context(registry, classes));
}

// Cross-entropy with label smoothing s by the definition: -sum_k q_k log softmax(z)_k with
// q = (1 - s) one_hot(y) + s / K, averaged over the rows.
double smoothed_cross_entropy(const at::Tensor& logits, const at::Tensor& labels, double s) {
  const auto Z = rows(logits);
  double total = 0;
  for (size_t i = 0; i < Z.size(); ++i) {
    double m = Z[i][0], denom = 0;
    for (double z : Z[i]) m = std::max(m, z);
    for (double z : Z[i]) denom += std::exp(z - m);
    const int64_t y = labels[int64_t(i)].item<int64_t>();
    for (size_t k = 0; k < Z[i].size(); ++k) {
      const double q = (1 - s) * (int64_t(k) == y ? 1.0 : 0.0) + s / double(Z[i].size());
      total -= q * (Z[i][k] - m - std::log(denom));
    }
  }
  return total / double(Z.size());
}

}  // namespace

TEST_CASE("supervised: declares uses_labels, and its head has one output per class of the training split") {
  ModelsRegistry registry;
  const auto& spec = registry.spec(ssl::sdk::Kind::Method, "supervised");
  CHECK(spec.uses_labels_for(spec.schema.resolve({}, "supervised")));
  // The self-supervised methods do not.
  for (const char* name : {"simclr", "byol", "swav", "dino", "deepcluster"}) {
    const auto& other = registry.spec(ssl::sdk::Kind::Method, name);
    CHECK_FALSE(other.uses_labels_for(other.schema.resolve({}, name)));
  }
  auto m = supervised(registry, 5);
  at::manual_seed(0);
  const at::Tensor y = child<torch::nn::LinearImpl>(*m, "head")->forward(at::randn({3, 32}));
  CHECK(y.sizes() == at::IntArrayRef({3, 5}));
  // A context without classes (the host never builds one for it: it refuses the pipeline first).
  CHECK_THROWS_WITH(supervised(registry, 0), Catch::Contains("at least 2 classes"));
}

TEST_CASE("supervised: the loss is the mean smoothed cross-entropy over the views, by hand") {
  ModelsRegistry registry;
  at::manual_seed(1);
  auto m = supervised(registry, 4, {{"label_smoothing", 0.1}});
  ssl::sdk::Batch batch = two_views(8);
  batch.labels = at::tensor(std::vector<int64_t>{0, 1, 2, 3, 3, 2, 1, 0});
  const auto out = m->training_step(batch, step_info(0));
  auto head = child<torch::nn::LinearImpl>(*m, "head");
  const at::Tensor l0 = head->forward(m->backbone()->forward(batch.views[0]));
  const at::Tensor l1 = head->forward(m->backbone()->forward(batch.views[1]));
  const double want = 0.5 * (smoothed_cross_entropy(l0, batch.labels, 0.1) + smoothed_cross_entropy(l1, batch.labels, 0.1));
  CHECK(out.loss.item<double>() == Approx(want).epsilon(1e-5));
  CHECK(metric(out, "loss") == Approx(want).epsilon(1e-5));
  CHECK(metric(out, "uniform_loss_ref") == Approx(std::log(4.0)));
  const double acc = (l0.argmax(1) == batch.labels).to(at::kDouble).mean().item<double>();
  CHECK(metric(out, "accuracy") == Approx(acc));
  // Without labels the step names the problem.
  batch.labels = at::Tensor();
  CHECK_THROWS_WITH(m->training_step(batch, step_info(0)), Catch::Contains("the batch has no labels"));
}

TEST_CASE("supervised: SGD steps learn a labelled synthetic set, and a checkpoint round trip restores it") {
  ModelsRegistry registry;
  at::manual_seed(2);
  auto m = supervised(registry, 3);
  // Three classes, each a fixed pattern plus noise.
  const at::Tensor patterns = at::randn({3, 1, 16, 16});
  const at::Tensor labels = at::arange(24, at::kLong) % 3;
  ssl::sdk::Batch batch;
  batch.views = {patterns.index_select(0, labels) + 0.3 * at::randn({24, 1, 16, 16})};
  batch.view_group = {0};
  batch.labels = labels;
  const double first = sgd_step(*m, batch, step_info(0, 60));
  double last = first;
  for (int64_t s = 1; s < 60; ++s) last = sgd_step(*m, batch, step_info(s, 60));
  CHECK(last < 0.5 * first);
  CHECK(metric(m->training_step(batch, step_info(60, 60)), "accuracy") == 1.0);

  auto copy = supervised(registry, 3);
  copy_state(*copy, *m);
  CHECK(differing_tensors(*copy, *m).empty());
  m->eval();
  copy->eval();
  CHECK(at::equal(m->backbone()->forward(batch.views[0]), copy->backbone()->forward(batch.views[0])));
}
