// method_clustering: SwAV and DINO through the static twin, on a width-4 tiny_cnn; multi-crop
// batches of 2 global 16 px crops and 2 local 8 px crops. Losses recomputed here from the
// method's own modules with independent double-precision loops (Sinkhorn in the plain domain).
#include <ATen/ATen.h>
#include <catch2/catch.hpp>
#include <torch/nn/modules/linear.h>
#include <torch/utils.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <memory>
#include <set>
#include <thread>
#include <vector>

#include "method_test_util.h"
#include "ssl/nn/clustering_metrics.h"
#include "ssl/nn/ema.h"
#include "ssl/nn/head.h"
#include "ssl/nn/losses.h"
#include "ssl/nn/multicrop.h"
#include "ssl/nn/sinkhorn.h"
#include "thread_comm.h"

using namespace method_test;
using ssl::nn::MLPHeadImpl;
using Matrix = std::vector<std::vector<double>>;

namespace {

// 2 global crops [n, 1, 16, 16] and `local` crops [n, 1, 8, 8] of the same random images.
ssl::sdk::Batch multicrop(int64_t n = 8, int64_t local = 2) {
  const at::Tensor x = at::randn({n, 1, 16, 16});
  ssl::sdk::Batch b;
  b.views = {x + 0.3 * at::randn_like(x), x + 0.3 * at::randn_like(x)};
  b.view_group = {0, 0};
  for (int64_t i = 0; i < local; ++i) {
    b.views.push_back(at::avg_pool2d(x, 2) + 0.3 * at::randn({n, 1, 8, 8}));
    b.view_group.push_back(1);
  }
  return b;
}

// The views' features as the methods compute them: one forward per run of equal-sized views.
std::vector<at::Tensor> by_resolution(const ssl::sdk::Batch& b, const std::function<at::Tensor(const at::Tensor&)>& f) {
  std::vector<at::Tensor> out;
  const at::Tensor globals = f(at::cat({b.views[0], b.views[1]}, 0));
  const int64_t n = b.views[0].size(0);
  out = {globals.narrow(0, 0, n), globals.narrow(0, n, n)};
  if (b.views.size() > 2) {
    const at::Tensor locals = f(at::cat(std::vector<at::Tensor>(b.views.begin() + 2, b.views.end()), 0));
    for (size_t v = 2; v < b.views.size(); ++v) out.push_back(locals.narrow(0, int64_t(v - 2) * n, n));
  }
  return out;
}

// Plain-domain Sinkhorn-Knopp of SwAV's Algorithm 1 on scores [B][K].
Matrix sinkhorn_loop(const Matrix& s, double eps, int iterations) {
  const size_t b = s.size(), k = s[0].size();
  Matrix q(k, std::vector<double>(b));
  double total = 0;
  for (size_t i = 0; i < b; ++i)
    for (size_t j = 0; j < k; ++j) total += q[j][i] = std::exp(s[i][j] / eps);
  for (auto& r : q)
    for (auto& x : r) x /= total;
  for (int it = 0; it < iterations; ++it) {
    for (auto& r : q) {
      double sum = 0;
      for (double x : r) sum += x;
      for (auto& x : r) x /= sum * double(k);
    }
    for (size_t i = 0; i < b; ++i) {
      double sum = 0;
      for (size_t j = 0; j < k; ++j) sum += q[j][i];
      for (size_t j = 0; j < k; ++j) q[j][i] /= sum * double(b);
    }
  }
  Matrix codes(b, std::vector<double>(k));
  for (size_t i = 0; i < b; ++i)
    for (size_t j = 0; j < k; ++j) codes[i][j] = q[j][i] * double(b);
  return codes;
}

Matrix softmax_rows(const Matrix& s, double t) {
  Matrix p = s;
  for (auto& r : p) {
    double mx = r[0], sum = 0;
    for (double x : r) mx = std::max(mx, x);
    for (auto& x : r) sum += x = std::exp((x - mx) / t);
    for (auto& x : r) x /= sum;
  }
  return p;
}

// mean_b -sum_k target[b][k] log softmax(logits[b] / t)_k
double cross_entropy_loop(const Matrix& target, const Matrix& logits, double t) {
  const Matrix p = softmax_rows(logits, t);
  double total = 0;
  for (size_t i = 0; i < p.size(); ++i)
    for (size_t j = 0; j < p[i].size(); ++j) total -= target[i][j] * std::log(p[i][j]);
  return total / double(p.size());
}

// Every view predicts both global crops' targets except its own, averaged over the pairs.
double swapped_loop(const std::vector<Matrix>& targets, const std::vector<Matrix>& logits, double t) {
  double total = 0;
  int terms = 0;
  for (size_t i = 0; i < targets.size(); ++i)
    for (size_t v = 0; v < logits.size(); ++v)
      if (v != i) total += cross_entropy_loop(targets[i], logits[v], t), ++terms;
  return total / terms;
}

// SwAV's normalised projections of every view and their scores against the prototypes,
// recomputed from the method's modules.
struct SwavScores {
  std::vector<at::Tensor> z;
  std::vector<Matrix> scores;
  at::Tensor prototypes;
};
SwavScores swav_scores(ssl::sdk::Method& m, const ssl::sdk::Batch& b) {
  auto projector = child<MLPHeadImpl>(m, "projector");
  SwavScores out;
  out.prototypes = child<torch::nn::LinearImpl>(m, "prototypes")->weight;
  out.z = by_resolution(b, [&](const at::Tensor& x) { return ssl::nn::l2_normalize(projector->forward(m.backbone()->forward(x))); });
  for (const auto& zv : out.z) out.scores.push_back(rows(at::matmul(zv, out.prototypes.t())));
  return out;
}

const Values kSwav{{"prototypes", int64_t{6}}};
const Values kDino{{"out_dim", int64_t{6}}};

}  // namespace

TEST_CASE("multi-crop: runs of equal-sized views share one forward, the convention is checked", "[nn][multicrop]") {
  const auto b = multicrop(3, 2);
  std::vector<int64_t> calls;
  const auto out = ssl::nn::forward_multicrop(b.views, [&](const at::Tensor& x) {
    calls.push_back(x.size(0));
    return x.flatten(1).sum(1, true);
  });
  CHECK(calls == std::vector<int64_t>{6, 6});
  REQUIRE(out.size() == 4);
  for (size_t v = 0; v < 4; ++v) CHECK(at::allclose(out[v], b.views[v].flatten(1).sum(1, true)));
  CHECK_NOTHROW(ssl::nn::check_multicrop(b, "m"));
  ssl::sdk::Batch one;
  one.views = {b.views[0]};
  CHECK_THROWS_WITH(ssl::nn::check_multicrop(one, "m"), Catch::Contains("2 global crops"));
  ssl::sdk::Batch swapped;
  swapped.views = {b.views[0], b.views[2], b.views[1]};
  CHECK_THROWS_WITH(ssl::nn::check_multicrop(swapped, "m"), Catch::Contains("list the two global crops first"));
  ssl::sdk::Batch short_view;
  short_view.views = {b.views[0], b.views[1].narrow(0, 0, 2)};
  CHECK_THROWS_WITH(ssl::nn::check_multicrop(short_view, "m"), Catch::Contains("view 1"));
}

TEST_CASE("soft cross-entropy and the swapped prediction loss match the loops, uniform logits give ln K", "[nn][losses]") {
  torch::manual_seed(3);
  const at::Tensor t = at::softmax(at::randn({5, 4}), 1), l1 = at::randn({5, 4}), l2 = at::randn({5, 4});
  CHECK(ssl::nn::soft_cross_entropy(t, l1, 0.5).item<double>() ==
        Approx(cross_entropy_loop(rows(t), rows(l1), 0.5)).epsilon(1e-5));
  CHECK(ssl::nn::soft_cross_entropy(t, at::zeros({5, 4}), 0.1).item<double>() == Approx(std::log(4.0)));
  const at::Tensor t2 = at::softmax(at::randn({5, 4}), 1), l3 = at::randn({5, 4});
  CHECK(ssl::nn::swapped_prediction_loss({t, t2}, {l1, l2, l3}, 0.1).item<double>() ==
        Approx(swapped_loop({rows(t), rows(t2)}, {rows(l1), rows(l2), rows(l3)}, 0.1)).epsilon(1e-5));
}

TEST_CASE("assignment entropy: 1 for an even spread, 0 when every sample picks one prototype", "[nn][clustering]") {
  CHECK(ssl::nn::assignment_entropy(at::eye(4)).item<double>() == Approx(1.0));
  CHECK(ssl::nn::assignment_entropy(at::eye(4).repeat({2, 1})).item<double>() == Approx(1.0));
  at::Tensor one = at::zeros({6, 5});
  one.select(1, 2).fill_(1.0);
  CHECK(ssl::nn::assignment_entropy(one).item<double>() == Approx(0.0).margin(1e-6));
  // Two of four samples on one prototype, one each on two others: H = 1.5 ln 2 over ln 4.
  const at::Tensor mixed = at::tensor({0, 0, 1, 2}, at::kLong);
  CHECK(ssl::nn::assignment_entropy(at::one_hot(mixed, 3).to(at::kFloat)).item<double>() ==
        Approx(1.5 * std::log(2.0) / std::log(3.0)));
}

TEST_CASE("swav: the loss is the swapped prediction of Sinkhorn codes, by hand, over 4 crops", "[methods][swav]") {
  torch::manual_seed(11);
  ModelsRegistry r;
  auto m = build(r, "swav", kSwav);
  const auto b = multicrop(8, 2);
  const auto out = m->training_step(b, step_info(0));
  at::NoGradGuard no_grad;
  const SwavScores sw = swav_scores(*m, b);
  const auto& scores = sw.scores;
  std::vector<Matrix> codes;
  for (int i = 0; i < 2; ++i) codes.push_back(sinkhorn_loop(scores[i], 0.05, 3));
  CHECK(out.loss.item<double>() == Approx(swapped_loop(codes, scores, 0.1)).epsilon(1e-4));
  CHECK(metric(out, "uniform_loss_ref") == Approx(std::log(6.0)));
  CHECK(metric(out, "queue_used") == 0);
  // Each code sums to 1; each prototype gets 1/K of the batch (up to 3 iterations' accuracy).
  for (const auto& row : codes[0]) {
    double s = 0;
    for (double x : row) s += x;
    CHECK(s == Approx(1.0).epsilon(1e-9));
  }
}

TEST_CASE("swav: softmax codes replace Sinkhorn in the ablation", "[methods][swav]") {
  torch::manual_seed(12);
  ModelsRegistry r;
  Values v = kSwav;
  v["codes"] = std::string("softmax");
  auto m = build(r, "swav", v);
  const auto b = multicrop(8, 0);
  const auto out = m->training_step(b, step_info(0));
  at::NoGradGuard no_grad;
  const SwavScores sw = swav_scores(*m, b);
  const auto& scores = sw.scores;
  std::vector<Matrix> codes;
  for (int i = 0; i < 2; ++i) codes.push_back(softmax_rows(scores[i], 0.05));
  CHECK(out.loss.item<double>() == Approx(swapped_loop(codes, scores, 0.1)).epsilon(1e-4));
}

TEST_CASE("swav: prototypes are unit rows after every step and get no gradient while frozen", "[methods][swav]") {
  torch::manual_seed(13);
  ModelsRegistry r;
  Values v = kSwav;
  v["freeze_prototypes_epochs"] = 0.5;
  auto m = build(r, "swav", v);
  auto prototypes = child<torch::nn::LinearImpl>(*m, "prototypes");
  CHECK(at::allclose(prototypes->weight.norm(2, {1}), at::ones({6}), 1e-5, 1e-6));
  auto info = step_info(0, 8);
  info.steps_per_epoch = 4;  // frozen for steps 0 and 1
  const at::Tensor before = prototypes->weight.detach().clone();
  sgd_step(*m, multicrop(), info);
  CHECK_FALSE(prototypes->weight.grad().defined());
  CHECK(at::allclose(prototypes->weight, before, 0, 1e-6));  // only re-normalised
  info.step = 2;
  sgd_step(*m, multicrop(), info);
  REQUIRE(prototypes->weight.grad().defined());
  CHECK(prototypes->weight.grad().abs().sum().item<double>() > 0);
  CHECK_FALSE(at::allclose(prototypes->weight, before));
  CHECK(at::allclose(prototypes->weight.norm(2, {1}), at::ones({6}), 1e-5, 1e-6));
}

TEST_CASE("swav: the queue fills from its start epoch, is used once full, and holds the last projections", "[methods][swav]") {
  torch::manual_seed(14);
  ModelsRegistry r;
  Values v = kSwav;
  v["queue_length"] = int64_t{16};
  v["queue_start_epoch"] = int64_t{1};
  auto m = build(r, "swav", v);
  auto info = step_info(0, 10);
  info.steps_per_epoch = 2;
  auto count = [&] { return m->named_buffers()["queue0.count"].item<int64_t>(); };
  CHECK(metric(m->training_step(multicrop(), info), "queue_used") == 0);
  CHECK(count() == 0);  // epoch 0: before queue_start_epoch
  info.epoch = 1;
  for (int s = 0; s < 2; ++s) CHECK(metric(m->training_step(multicrop(), info), "queue_used") == 0);
  CHECK(count() == 16);
  const at::Tensor queued0 = m->named_buffers()["queue0.queue"].clone();
  const at::Tensor queued1 = m->named_buffers()["queue1.queue"].clone();
  const auto b = multicrop();
  const auto out = m->training_step(b, info);
  CHECK(metric(out, "queue_used") == 1);
  // The codes come from Sinkhorn over [queue; batch] with the queue as it was before the step;
  // afterwards the queue holds this step's projections of view 0 / view 1.
  at::NoGradGuard no_grad;
  const SwavScores sw = swav_scores(*m, b);
  const auto& z = sw.z;
  const auto& scores = sw.scores;
  std::vector<Matrix> codes;
  const at::Tensor queued[2] = {queued0, queued1};
  for (int i = 0; i < 2; ++i) {
    const Matrix all = sinkhorn_loop(rows(at::cat({at::matmul(queued[i], sw.prototypes.t()),
                                                   at::matmul(z[i], sw.prototypes.t())}, 0)), 0.05, 3);
    codes.emplace_back(all.end() - 8, all.end());
  }
  CHECK(out.loss.item<double>() == Approx(swapped_loop(codes, scores, 0.1)).epsilon(1e-4));
  const at::Tensor q0 = m->named_buffers()["queue0.queue"];
  CHECK(at::allclose(q0.narrow(0, 0, 8), z[0], 1e-5, 1e-6));  // rows 0..7: ptr wrapped to 0
  CHECK(at::allclose(m->named_buffers()["queue1.queue"].narrow(0, 0, 8), z[1], 1e-5, 1e-6));
}

TEST_CASE("swav: two SGD steps train the backbone, a round trip restores prototypes and queues", "[methods][swav]") {
  ModelsRegistry r;
  check_two_steps(r, "swav", kSwav);
  Values v = kSwav;
  v["queue_length"] = int64_t{16};
  v["queue_start_epoch"] = int64_t{0};
  const auto names = check_round_trip(r, "swav", v);
  CHECK(contains(names, "prototypes.weight"));
  CHECK(contains(names, "queue0.queue"));
  CHECK(contains(names, "queue1.ptr"));
}

TEST_CASE("swav: Sinkhorn codes over a 2-rank Comm are each rank's rows of the global batch's codes", "[methods][swav]") {
  torch::manual_seed(15);
  const at::Tensor scores = at::randn({10, 4}) * 0.3;
  const at::Tensor global = ssl::nn::sinkhorn_knopp(scores, 0.05, 3);
  std::vector<at::Tensor> got(2);
  ssl::test::run_ranks(2, [&](ssl::sdk::Comm& comm) {
    got[comm.rank()] = ssl::nn::sinkhorn_knopp(scores.narrow(0, comm.rank() * 5, 5), 0.05, 3, &comm);
  });
  CHECK(at::allclose(at::cat(got, 0), global, 1e-5, 1e-6));
  const Matrix loop = sinkhorn_loop(rows(scores), 0.05, 3);
  for (int64_t i = 0; i < 10; ++i)
    for (int64_t j = 0; j < 4; ++j) CHECK(global[i][j].item<double>() == Approx(loop[i][j]).epsilon(1e-4));
}

namespace {

template <class Impl>
std::shared_ptr<Impl> module_at(ssl::sdk::Method& m, const std::string& path) {
  auto c = std::dynamic_pointer_cast<Impl>(m.named_modules()[path]);
  REQUIRE(c != nullptr);
  return c;
}

// DINO's head by hand: norm(mlp(backbone(x))) . norm(last_layer)^T, for "" (student) or "teacher.".
at::Tensor dino_logits(ssl::sdk::Method& m, const std::string& prefix, const at::Tensor& x) {
  auto backbone = module_at<ssl::sdk::Backbone>(m, prefix + "backbone");
  auto mlp = module_at<MLPHeadImpl>(m, prefix + "head.mlp");
  const at::Tensor last = m.named_parameters()[prefix + "head.last_layer"];
  return at::matmul(ssl::nn::l2_normalize(mlp->forward(backbone->forward(x))), ssl::nn::l2_normalize(last).t());
}

}  // namespace

TEST_CASE("dino: the loss is each view's cross-entropy to the other global crops' centred, sharpened teacher", "[methods][dino]") {
  torch::manual_seed(21);
  ModelsRegistry r;
  auto m = build(r, "dino", kDino);
  {
    at::NoGradGuard no_grad;
    m->named_buffers()["center"].copy_(at::randn({1, 6}) * 0.1);
  }
  const at::Tensor center = m->named_buffers()["center"].clone();
  const auto b = multicrop(8, 2);
  const auto out = m->training_step(b, step_info(0));
  at::NoGradGuard no_grad;
  const auto student = by_resolution(b, [&](const at::Tensor& x) { return dino_logits(*m, "", x); });
  const auto teacher = by_resolution(b, [&](const at::Tensor& x) { return dino_logits(*m, "teacher.", x); });
  std::vector<Matrix> targets, logits;
  for (int i = 0; i < 2; ++i) targets.push_back(softmax_rows(rows(teacher[size_t(i)] - center), 0.04));
  for (const auto& s : student) logits.push_back(rows(s));
  CHECK(out.loss.item<double>() == Approx(swapped_loop(targets, logits, 0.1)).epsilon(1e-4));
  CHECK(metric(out, "uniform_loss_ref") == Approx(std::log(6.0)));
  CHECK(metric(out, "teacher_temp") == Approx(0.04));
  // Without centring the raw teacher output is sharpened.
  Values v = kDino;
  v["center"] = false;
  torch::manual_seed(21);
  auto plain = build(r, "dino", v);
  const auto out2 = plain->training_step(b, step_info(0));
  const auto teacher2 = by_resolution(b, [&](const at::Tensor& x) { return dino_logits(*plain, "teacher.", x); });
  const auto student2 = by_resolution(b, [&](const at::Tensor& x) { return dino_logits(*plain, "", x); });
  std::vector<Matrix> t2, l2;
  for (int i = 0; i < 2; ++i) t2.push_back(softmax_rows(rows(teacher2[size_t(i)]), 0.04));
  for (const auto& s : student2) l2.push_back(rows(s));
  CHECK(out2.loss.item<double>() == Approx(swapped_loop(t2, l2, 0.1)).epsilon(1e-4));
}

TEST_CASE("dino: the teacher temperature warms up linearly, then stays, sharpen = false uses the student's", "[methods][dino]") {
  ModelsRegistry r;
  auto m = build(r, "dino", kDino);
  auto temp_at = [&](ssl::sdk::Method& method, int64_t step) {
    return metric(method.training_step(two_views(), step_info(step, 20)), "teacher_temp");
  };
  CHECK(temp_at(*m, 0) == Approx(0.04));
  CHECK(temp_at(*m, 3) == Approx(0.04 + 0.03 * 0.15 / 0.3));
  CHECK(temp_at(*m, 6) == Approx(0.07));
  CHECK(temp_at(*m, 19) == Approx(0.07));
  Values v = kDino;
  v["sharpen"] = false;
  auto flat = build(r, "dino", v);
  CHECK(temp_at(*flat, 0) == Approx(0.1));
}

TEST_CASE("dino: after a step the centre is m c + (1 - m) mean(teacher) and the teacher its EMA", "[methods][dino]") {
  torch::manual_seed(22);
  ModelsRegistry r;
  auto m = build(r, "dino", kDino);
  const auto b = multicrop(8, 1);
  const at::Tensor c0 = m->named_buffers()["center"].clone();
  at::Tensor mean;
  {
    at::NoGradGuard no_grad;
    const auto teacher = by_resolution(b, [&](const at::Tensor& x) { return dino_logits(*m, "teacher.", x); });
    mean = at::cat({teacher[0], teacher[1]}, 0).mean(0, true);
  }
  m->training_step(b, step_info(0, 10)).loss.backward();
  {
    at::NoGradGuard no_grad;
    for (auto& g : m->parameter_groups())
      for (auto& p : g.params)
        if (p.grad().defined()) p.add_(p.grad(), -0.5);
  }
  auto params = m->named_parameters();
  const double tau = ssl::nn::cosine_momentum(0.996, 1.0, 0.0);
  std::vector<std::pair<std::string, at::Tensor>> expected;
  for (const auto& item : params)
    if (item.key().rfind("teacher.", 0) == 0)
      expected.emplace_back(item.key(), tau * item.value().detach().clone() + (1 - tau) * params[item.key().substr(8)].detach());
  REQUIRE(expected.size() > 4);
  m->after_step(step_info(0, 10));
  CHECK(at::allclose(m->named_buffers()["center"], 0.9 * c0 + 0.1 * mean, 1e-5, 1e-7));
  auto after = m->named_parameters();
  for (const auto& [key, value] : expected) {
    INFO(key);
    CHECK(at::allclose(after[key], value, 1e-6, 1e-7));
  }
}

TEST_CASE("dino: the teacher gets no gradient, the last layer none while frozen", "[methods][dino]") {
  torch::manual_seed(23);
  ModelsRegistry r;
  Values v = kDino;
  v["freeze_last_layer_epochs"] = 0.5;
  auto m = build(r, "dino", v);
  std::vector<at::Tensor> teacher;
  for (const auto& item : m->named_parameters())
    if (item.key().rfind("teacher.", 0) == 0) teacher.push_back(item.value());
  REQUIRE(teacher.size() > 4);
  for (const auto& g : m->parameter_groups())
    for (const auto& p : g.params)
      for (const auto& t : teacher) CHECK_FALSE(same_tensor(p, t));
  const at::Tensor last = m->named_parameters()["head.last_layer"];
  auto info = step_info(0, 8);
  info.steps_per_epoch = 4;
  m->training_step(multicrop(), info).loss.backward();
  for (const auto& t : teacher) CHECK_FALSE(t.grad().defined());
  CHECK_FALSE(last.grad().defined());
  CHECK(m->named_parameters()["head.mlp.layers.0.weight"].grad().defined());
  info.step = 2;
  m->training_step(multicrop(), info).loss.backward();
  REQUIRE(last.grad().defined());
  CHECK(last.grad().abs().sum().item<double>() > 0);
}

TEST_CASE("dino: the centre is averaged over a 2-rank Comm", "[methods][dino]") {
  // Two ranks with identical models, each given half of the batch: the centre moves by the
  // mean teacher output over both halves, the same on both ranks.
  ModelsRegistry r;
  auto group = std::make_shared<ssl::test::ThreadGroup>(2);
  std::vector<std::shared_ptr<ssl::sdk::Method>> models;
  for (int64_t rank = 0; rank < 2; ++rank) {
    torch::manual_seed(25);
    ssl::sdk::BuildContext ctx = tiny_context(r);
    ctx.comm = std::make_shared<ssl::test::ThreadComm>(group, rank);
    models.push_back(r.method("dino", small_heads(r, "dino", kDino), ctx));
  }
  torch::manual_seed(26);
  const auto b = multicrop(8, 0);
  std::vector<ssl::sdk::Batch> halves(2);
  at::Tensor sum = at::zeros({1, 6});
  for (int64_t rank = 0; rank < 2; ++rank) {
    for (const auto& v : b.views) halves[size_t(rank)].views.push_back(v.narrow(0, rank * 4, 4));
    halves[size_t(rank)].view_group = b.view_group;
    at::NoGradGuard no_grad;
    const auto& h = halves[size_t(rank)];
    sum += dino_logits(*models[size_t(rank)], "teacher.", at::cat({h.views[0], h.views[1]}, 0)).sum(0, true);
  }
  std::vector<std::thread> threads;
  for (int64_t rank = 0; rank < 2; ++rank)
    threads.emplace_back([&, rank] {
      auto& m = *models[size_t(rank)];
      m.training_step(halves[size_t(rank)], step_info(0));
      m.after_step(step_info(0));
    });
  for (auto& t : threads) t.join();
  const at::Tensor expected = 0.1 * sum / 16.0;
  CHECK(at::allclose(models[0]->named_buffers()["center"], expected, 1e-5, 1e-7));
  CHECK(at::allclose(models[1]->named_buffers()["center"], expected, 1e-5, 1e-7));
}

TEST_CASE("dino: two SGD steps train the backbone, a round trip restores teacher and centre", "[methods][dino]") {
  ModelsRegistry r;
  check_two_steps(r, "dino", kDino);
  const auto names = check_round_trip(r, "dino", kDino);
  CHECK(contains(names, "teacher.backbone.features.0.weight"));
  CHECK(contains(names, "teacher.head.last_layer"));
  CHECK(contains(names, "center"));
}

namespace {

// Two augmented views' "embeddings" of a training set of n samples, in index order.
class FakeFeatures final : public ssl::sdk::FeatureSource {
 public:
  explicit FakeFeatures(int64_t n, int64_t d) : values(at::randn({2, n, d})), n_(n) {}
  // Called from rank threads too: records the request, checks nothing itself.
  ssl::sdk::Features extract(const ssl::sdk::FeatureRequest& r) override {
    ++calls;
    views_asked = r.augmented_views;
    embedding_asked = r.representation == ssl::sdk::Representation::Embedding;
    return {values, at::full({n_}, -1, at::kLong), at::arange(n_, at::kLong)};
  }
  int64_t num_classes(ssl::sdk::Split) const override { return 0; }
  at::Tensor values;
  std::atomic<int> calls{0};
  std::atomic<int64_t> views_asked{0};
  std::atomic<bool> embedding_asked{false};

 private:
  int64_t n_;
};

const Values kDc{{"prototypes", std::vector<int64_t>{4, 3}}, {"kmeans_iterations", int64_t{5}}};

std::shared_ptr<ssl::sdk::Method> build_dc(const ModelsRegistry& r, int64_t n) {
  ssl::sdk::BuildContext ctx = tiny_context(r);
  ctx.train_size = n;
  return r.method("deepcluster_v2", small_heads(r, "deepcluster_v2", kDc), ctx);
}

ssl::sdk::Batch indexed(const std::vector<int64_t>& idx) {
  ssl::sdk::Batch b = multicrop(int64_t(idx.size()), 1);
  b.indices = at::tensor(idx, at::kLong);
  return b;
}

}  // namespace

TEST_CASE("deepcluster_v2: the first epoch clusters a filled bank, prototypes are the centroids", "[methods][deepcluster]") {
  torch::manual_seed(31);
  ModelsRegistry r;
  auto m = build_dc(r, 16);
  FakeFeatures features(16, 8);
  ssl::sdk::EpochContext ctx;
  ctx.epoch = 0;
  ctx.features = &features;
  m->on_epoch_start(ctx);
  CHECK(features.calls == 1);
  CHECK(features.views_asked == 2);  // the two global crops' chains
  CHECK(features.embedding_asked);
  auto buffers = m->named_buffers();
  CHECK(at::allclose(buffers["bank"], ssl::nn::l2_normalize(features.values.reshape({32, 8})).reshape({2, 16, 8})));
  CHECK(at::equal(buffers["bank_epoch"], at::full({16}, -1, at::kLong)));
  CHECK(buffers["clustered_epoch"].item<int64_t>() == 0);
  // Head h clusters crop h mod 2 with the seeded spherical k-means; the same call here agrees.
  for (int64_t h = 0; h < 2; ++h) {
    const at::Tensor a = buffers["assignments"][h];
    const at::Tensor p = buffers["prototypes_" + std::to_string(h)];
    CHECK(a.min().item<int64_t>() >= 0);
    CHECK(a.max().item<int64_t>() < (h == 0 ? 4 : 3));
    CHECK(at::allclose(p.norm(2, {1}), at::ones({p.size(0)}), 1e-5, 1e-6));
    // Each point is assigned to its most similar centroid.
    CHECK(at::equal(a, at::matmul(buffers["bank"][h], p.t()).argmax(1)));
  }
  // The same epoch again (a resume mid-epoch) keeps its targets and does not re-cluster.
  const at::Tensor before = buffers["assignments"].clone();
  buffers["bank"].normal_();
  m->on_epoch_start(ctx);
  CHECK(features.calls == 1);
  CHECK(at::equal(m->named_buffers()["assignments"], before));
}

TEST_CASE("deepcluster_v2: the loss is the cross-entropy to the assignments, by hand, the bank is written by index", "[methods][deepcluster]") {
  torch::manual_seed(32);
  ModelsRegistry r;
  auto m = build_dc(r, 16);
  FakeFeatures features(16, 8);
  ssl::sdk::EpochContext ctx;
  ctx.features = &features;
  m->on_epoch_start(ctx);
  const std::vector<int64_t> idx{3, 9, 0, 14, 7, 5};
  const auto b = indexed(idx);
  auto info = step_info(0, 8);
  const auto out = m->training_step(b, info);
  auto buffers = m->named_buffers();
  auto projector = child<MLPHeadImpl>(*m, "projector");
  at::NoGradGuard no_grad;
  const auto z = by_resolution(b, [&](const at::Tensor& x) { return ssl::nn::l2_normalize(projector->forward(m->backbone()->forward(x))); });
  double expected = 0;
  for (int64_t h = 0; h < 2; ++h) {
    const at::Tensor p = buffers["prototypes_" + std::to_string(h)];
    for (const auto& zv : z) {
      const Matrix logits = rows(at::matmul(zv, p.t()));
      Matrix onehot(idx.size(), std::vector<double>(size_t(p.size(0)), 0.0));
      for (size_t i = 0; i < idx.size(); ++i) onehot[i][size_t(buffers["assignments"][h][idx[i]].item<int64_t>())] = 1.0;
      expected += cross_entropy_loop(onehot, logits, 0.1);
    }
  }
  CHECK(out.loss.item<double>() == Approx(expected / 6.0).epsilon(1e-4));
  CHECK(metric(out, "targets_known") == 1.0);
  const at::Tensor rows_idx = at::tensor(idx, at::kLong);
  CHECK(at::allclose(buffers["bank"][0].index_select(0, rows_idx), z[0], 1e-5, 1e-6));
  CHECK(at::allclose(buffers["bank"][1].index_select(0, rows_idx), z[1], 1e-5, 1e-6));
  CHECK(at::equal(buffers["bank_epoch"].index_select(0, rows_idx), at::zeros({6}, at::kLong)));
  // The next epoch clusters only what epoch 0 wrote: the others have no target (and no loss).
  ctx.epoch = 1;
  m->on_epoch_start(ctx);
  CHECK(features.calls == 1);
  const at::Tensor a = m->named_buffers()["assignments"][0];
  CHECK((a.index_select(0, rows_idx) >= 0).all().item<bool>());
  CHECK((a >= 0).sum().item<int64_t>() == 6);
  const auto unknown = indexed({1, 2, 4});
  info.epoch = 1;
  const auto out2 = m->training_step(unknown, info);
  CHECK(out2.loss.item<double>() == 0.0);
  CHECK(metric(out2, "targets_known") == 0.0);
}

TEST_CASE("deepcluster_v2: prototypes get no gradient, a round trip restores bank, assignments and prototypes", "[methods][deepcluster]") {
  ModelsRegistry r;
  std::vector<std::shared_ptr<ssl::sdk::Method>> ms;
  for (uint64_t seed : {41, 42}) {
    torch::manual_seed(seed);
    auto m = build_dc(r, 16);
    FakeFeatures features(16, 8);
    ssl::sdk::EpochContext ctx;
    ctx.features = &features;
    m->on_epoch_start(ctx);
    sgd_step(*m, indexed({0, 1, 2, 3, 4, 5, 6, 7}), step_info(0, 8));
    ms.push_back(m);
  }
  for (const auto& item : ms[0]->named_parameters()) CHECK(item.key().find("prototypes") == std::string::npos);
  REQUIRE_FALSE(differing_tensors(*ms[0], *ms[1]).empty());
  copy_state(*ms[1], *ms[0]);
  CHECK(differing_tensors(*ms[0], *ms[1]).empty());
  const auto b = indexed({8, 9, 10, 11});
  CHECK(ms[0]->training_step(b, step_info(1, 8)).loss.item<double>() ==
        ms[1]->training_step(b, step_info(1, 8)).loss.item<double>());
  auto names = ms[0]->named_buffers().keys();
  for (const char* n : {"bank", "bank_epoch", "assignments", "prototypes_0", "prototypes_1", "clustered_epoch"})
    CHECK(std::find(names.begin(), names.end(), n) != names.end());
}

TEST_CASE("deepcluster_v2: a clear error without the training set's size or batch indices", "[methods][deepcluster]") {
  ModelsRegistry r;
  CHECK_THROWS_WITH(build_dc(r, 0), Catch::Contains("train_size"));
  CHECK_THROWS_WITH(build_dc(r, 3), Catch::Contains("[2, 3]"));
  auto m = build_dc(r, 16);
  CHECK_THROWS_WITH(m->training_step(multicrop(4, 0), step_info(0)), Catch::Contains("Batch::indices"));
  CHECK_THROWS_WITH(m->training_step(indexed({0, 16}), step_info(0)), Catch::Contains("outside the memory bank"));
}

TEST_CASE("deepcluster_v2: over a 2-rank Comm both ranks keep the same whole bank, prototypes and targets", "[methods][deepcluster]") {
  ModelsRegistry r;
  torch::manual_seed(51);
  FakeFeatures features(16, 8);
  auto group = std::make_shared<ssl::test::ThreadGroup>(2);
  std::vector<std::shared_ptr<ssl::sdk::Method>> ranks;
  std::vector<std::shared_ptr<ssl::sdk::Comm>> comms;
  for (int64_t rank = 0; rank < 2; ++rank) {
    torch::manual_seed(52);
    ssl::sdk::BuildContext ctx = tiny_context(r);
    ctx.train_size = 16;
    comms.push_back(std::make_shared<ssl::test::ThreadComm>(group, rank));
    ctx.comm = comms.back();
    ranks.push_back(r.method("deepcluster_v2", small_heads(r, "deepcluster_v2", kDc), ctx));
  }
  // Each rank's share of one global batch: the bank must get all of it on both ranks.
  const std::vector<std::vector<int64_t>> shares = {{3, 9, 0, 14}, {7, 5, 1, 2}};
  const std::vector<ssl::sdk::Batch> batches = {indexed(shares[0]), indexed(shares[1])};
  std::vector<std::thread> threads;
  for (int64_t rank = 0; rank < 2; ++rank)
    threads.emplace_back([&, rank] {
      ssl::sdk::EpochContext ctx;
      ctx.features = &features;
      ctx.comm = comms[size_t(rank)].get();
      ranks[size_t(rank)]->on_epoch_start(ctx);
    });
  for (auto& t : threads) t.join();
  // Both ranks hold the same prototypes and every sample's target: its nearest prototype.
  auto b0 = ranks[0]->named_buffers(), b1 = ranks[1]->named_buffers();
  CHECK(at::equal(b0["assignments"], b1["assignments"]));
  CHECK(at::equal(b0["bank"], b1["bank"]));
  CHECK(at::equal(b0["bank_epoch"], at::full({16}, -1, at::kLong)));
  CHECK(at::equal(b1["bank_epoch"], at::full({16}, -1, at::kLong)));
  for (int64_t h = 0; h < 2; ++h) {
    const at::Tensor p = b0["prototypes_" + std::to_string(h)];
    CHECK(at::equal(p, b1["prototypes_" + std::to_string(h)]));
    CHECK(at::equal(b0["assignments"][h], at::matmul(b0["bank"][h % 2], p.t()).argmax(1)));
  }
  threads.clear();
  for (int64_t rank = 0; rank < 2; ++rank)
    threads.emplace_back([&, rank] { ranks[size_t(rank)]->training_step(batches[size_t(rank)], step_info(0, 8)); });
  for (auto& t : threads) t.join();
  b0 = ranks[0]->named_buffers();
  b1 = ranks[1]->named_buffers();
  CHECK(at::equal(b0["bank"], b1["bank"]));
  const at::Tensor written = at::tensor(std::vector<int64_t>{3, 9, 0, 14, 7, 5, 1, 2});
  for (auto* b : {&b0, &b1}) {
    CHECK(at::equal((*b)["bank_epoch"].index_select(0, written), at::zeros({8}, at::kLong)));
    CHECK(((*b)["bank_epoch"] == 0).sum().item<int64_t>() == 8);
  }
}

namespace {

// Backbone features [n, d] of a training set of three separated blobs (labels i % 3), in
// index order, as the host's feature source returns them for augmented_views = 0.
class BlobFeatures final : public ssl::sdk::FeatureSource {
 public:
  BlobFeatures(int64_t n, int64_t d) : BlobFeatures(at::arange(n, at::kLong).remainder(3), d) {}
  BlobFeatures(at::Tensor blob, int64_t d) : labels(std::move(blob)), n_(labels.size(0)) {
    const at::Tensor centres = 6.0 * at::randn({3, d});
    values = centres.index_select(0, labels) + 0.3 * at::randn({n_, d});
  }
  ssl::sdk::Features extract(const ssl::sdk::FeatureRequest& r) override {
    ++calls;
    backbone_asked = r.representation == ssl::sdk::Representation::Backbone && r.augmented_views == 0;
    return {values, labels, at::arange(n_, at::kLong)};
  }
  int64_t num_classes(ssl::sdk::Split) const override { return 3; }
  at::Tensor values, labels;
  std::atomic<int> calls{0};
  std::atomic<bool> backbone_asked{false};

 private:
  int64_t n_;
};

const Values kDc1{{"clusters", int64_t{3}}, {"pca_dim", int64_t{2}}, {"kmeans_iterations", int64_t{10}}};

std::shared_ptr<ssl::sdk::Method> build_dc1(const ModelsRegistry& r, int64_t n, Values extra = {}) {
  ssl::sdk::BuildContext ctx = tiny_context(r);
  ctx.train_size = n;
  Values v = kDc1;
  for (auto& [k, val] : extra) v[k] = val;
  return r.method("deepcluster", v, ctx);
}

// One view [n, 1, 16, 16] of random images with their dataset indices.
ssl::sdk::Batch one_view(const std::vector<int64_t>& idx) {
  ssl::sdk::Batch b;
  b.views = {at::randn({int64_t(idx.size()), 1, 16, 16})};
  b.view_group = {0};
  b.indices = at::tensor(idx, at::kLong);
  return b;
}

}  // namespace

TEST_CASE("deepcluster: each epoch's pseudo-labels are the k-means clusters of whitened features, weights 1 / |cluster|", "[methods][deepcluster]") {
  torch::manual_seed(61);
  ModelsRegistry r;
  REQUIRE(r.views("deepcluster", kDc1).min_views == 1);
  REQUIRE(r.views("deepcluster", kDc1).max_views == 1);
  auto m = build_dc1(r, 30);
  BlobFeatures features(30, 32);
  ssl::sdk::EpochContext ctx;
  ctx.features = &features;
  m->on_epoch_start(ctx);
  CHECK(features.calls == 1);
  CHECK(features.backbone_asked);
  auto buffers = m->named_buffers();
  const at::Tensor a = buffers["assignments"];
  // The three blobs are the three clusters (up to the clusters' order).
  for (int64_t i = 0; i < 30; ++i) CHECK(a[i].item<int64_t>() == a[i % 3].item<int64_t>());
  CHECK(std::set<int64_t>{a[0].item<int64_t>(), a[1].item<int64_t>(), a[2].item<int64_t>()}.size() == 3);
  CHECK(at::equal(buffers["cluster_sizes"], at::full({3}, 10, at::kLong)));
  CHECK(buffers["clustered_epoch"].item<int64_t>() == 0);
  // Uniform over clusters: each sample weighs 1 / its cluster's size.
  REQUIRE(ctx.sampling_weights.defined());
  CHECK(at::allclose(ctx.sampling_weights.to(at::kDouble), at::full({30}, 0.1, at::kDouble)));
  // The classifier starts again, N(0, 0.01) and zero bias, and is reported for its optimizer state.
  auto classifier = child<torch::nn::LinearImpl>(*m, "classifier");
  REQUIRE(ctx.reinitialized.size() == 2);
  CHECK(same_tensor(ctx.reinitialized[0], classifier->weight));
  CHECK(same_tensor(ctx.reinitialized[1], classifier->bias));
  CHECK(classifier->bias.abs().sum().item<double>() == 0.0);
  CHECK(classifier->weight.std().item<double>() == Approx(0.01).margin(0.004));
  // A resumed epoch: nothing re-clustered or re-initialised, the same weights again.
  at::NoGradGuard no_grad;
  classifier->weight.fill_(1.0);
  ssl::sdk::EpochContext again;
  again.features = &features;
  m->on_epoch_start(again);
  CHECK(features.calls == 1);
  CHECK(again.reinitialized.empty());
  CHECK(classifier->weight.min().item<double>() == 1.0);
  CHECK(at::equal(again.sampling_weights, ctx.sampling_weights));
  // The next epoch clusters again and draws a new classifier from its own seed.
  ssl::sdk::EpochContext next;
  next.epoch = 1;
  next.features = &features;
  m->on_epoch_start(next);
  CHECK(features.calls == 2);
  CHECK(next.reinitialized.size() == 2);
  CHECK(classifier->weight.max().item<double>() < 0.1);
}

TEST_CASE("deepcluster: unequal clusters weigh inversely to their size, the ablations switch weights and re-seeding off", "[methods][deepcluster]") {
  torch::manual_seed(62);
  ModelsRegistry r;
  // Blobs of 20, 5 and 5 samples.
  std::vector<int64_t> blob(30, 0);
  for (size_t i = 20; i < 30; ++i) blob[i] = i < 25 ? 1 : 2;
  BlobFeatures features(at::tensor(blob, at::kLong), 32);
  auto m = build_dc1(r, 30);
  ssl::sdk::EpochContext ctx;
  ctx.features = &features;
  m->on_epoch_start(ctx);
  const at::Tensor a = m->named_buffers()["assignments"];
  const at::Tensor sizes = m->named_buffers()["cluster_sizes"];
  CHECK(sizes.sum().item<int64_t>() == 30);
  CHECK(std::set<int64_t>{sizes[0].item<int64_t>(), sizes[1].item<int64_t>(), sizes[2].item<int64_t>()} ==
        std::set<int64_t>{20, 5});
  // Each cluster's total weight is 1: uniform over pseudo-classes.
  for (int64_t c = 0; c < 3; ++c) {
    const double total = ctx.sampling_weights.to(at::kDouble).masked_select(a == c).sum().item<double>();
    CHECK(total == Approx(sizes[c].item<int64_t>() > 0 ? 1.0 : 0.0));
  }
  auto plain = build_dc1(r, 30, {{"uniform_sampling", false}});
  ssl::sdk::EpochContext pctx;
  pctx.features = &features;
  plain->on_epoch_start(pctx);
  CHECK_FALSE(pctx.sampling_weights.defined());
  CHECK(plain->named_buffers()["assignments"].min().item<int64_t>() >= 0);
}

TEST_CASE("deepcluster: the loss is the classifier's cross-entropy to the pseudo-labels, by hand", "[methods][deepcluster]") {
  torch::manual_seed(63);
  ModelsRegistry r;
  auto m = build_dc1(r, 30);
  BlobFeatures features(30, 32);
  ssl::sdk::EpochContext ctx;
  ctx.features = &features;
  m->on_epoch_start(ctx);
  const std::vector<int64_t> idx{4, 17, 0, 29, 8};
  const auto b = one_view(idx);
  const auto out = m->training_step(b, step_info(0));
  auto classifier = child<torch::nn::LinearImpl>(*m, "classifier");
  at::NoGradGuard no_grad;
  const Matrix logits = rows(classifier->forward(m->backbone()->forward(b.views[0])));
  const at::Tensor a = m->named_buffers()["assignments"];
  Matrix onehot(idx.size(), std::vector<double>(3, 0.0));
  double correct = 0;
  for (size_t i = 0; i < idx.size(); ++i) {
    const auto t = size_t(a[idx[i]].item<int64_t>());
    onehot[i][t] = 1.0;
    correct += size_t(std::max_element(logits[i].begin(), logits[i].end()) - logits[i].begin()) == t;
  }
  CHECK(out.loss.item<double>() == Approx(cross_entropy_loop(onehot, logits, 1.0)).epsilon(1e-4));
  CHECK(metric(out, "uniform_loss_ref") == Approx(std::log(3.0)));
  CHECK(metric(out, "pseudo_accuracy") == Approx(correct / 5.0));
  CHECK(metric(out, "cluster_size_entropy") == Approx(1.0));
  CHECK(metric(out, "largest_cluster") == Approx(1.0 / 3.0));
  // A fresh classifier predicts all classes about equally: the mean prediction's entropy ~ 1.
  CHECK(metric(out, "prediction_entropy") > 0.99);
}

TEST_CASE("deepcluster: two SGD steps train backbone and classifier, a round trip restores labels and classifier", "[methods][deepcluster]") {
  ModelsRegistry r;
  std::vector<std::shared_ptr<ssl::sdk::Method>> ms;
  BlobFeatures features(30, 32);
  for (uint64_t seed : {64, 65}) {
    torch::manual_seed(seed);
    auto m = build_dc1(r, 30);
    ssl::sdk::EpochContext ctx;
    ctx.features = &features;
    m->on_epoch_start(ctx);
    const at::Tensor conv = m->named_parameters()["backbone.features.0.weight"];
    const at::Tensor w0 = m->named_parameters()["classifier.weight"].clone();
    sgd_step(*m, one_view({0, 1, 2, 3, 4, 5}), step_info(0, 8));
    CHECK(conv.grad().abs().sum().item<double>() > 0);
    CHECK_FALSE(at::equal(m->named_parameters()["classifier.weight"], w0));
    ms.push_back(m);
  }
  REQUIRE_FALSE(differing_tensors(*ms[0], *ms[1]).empty());
  copy_state(*ms[1], *ms[0]);
  CHECK(differing_tensors(*ms[0], *ms[1]).empty());
  const auto b = one_view({6, 7, 8, 9});
  CHECK(ms[0]->training_step(b, step_info(1, 8)).loss.item<double>() ==
        ms[1]->training_step(b, step_info(1, 8)).loss.item<double>());
  auto names = ms[0]->named_buffers().keys();
  for (const char* n : {"assignments", "cluster_sizes", "clustered_epoch"})
    CHECK(std::find(names.begin(), names.end(), n) != names.end());
}

TEST_CASE("deepcluster: clear errors for a missing size, K or pca_dim out of range, and bad batches", "[methods][deepcluster]") {
  ModelsRegistry r;
  CHECK_THROWS_WITH(build_dc1(r, 0), Catch::Contains("train_size"));
  CHECK_THROWS_WITH(build_dc1(r, 2), Catch::Contains("[2, 2]"));
  CHECK_THROWS_WITH(build_dc1(r, 30, {{"pca_dim", int64_t{64}}}), Catch::Contains("exceeds the backbone's 32 features"));
  auto m = build_dc1(r, 30);
  ssl::sdk::Batch none = one_view({0, 1});
  none.indices = at::Tensor();
  CHECK_THROWS_WITH(m->training_step(none, step_info(0)), Catch::Contains("Batch::indices"));
  CHECK_THROWS_WITH(m->training_step(one_view({0, 30}), step_info(0)), Catch::Contains("outside the training set"));
  BlobFeatures wrong(20, 32);
  ssl::sdk::EpochContext ctx;
  ctx.features = &wrong;
  CHECK_THROWS_WITH(m->on_epoch_start(ctx), Catch::Contains("for a training set of 30"));
}

TEST_CASE("deepcluster: over a 2-rank Comm both ranks get every pseudo-label and the same weights", "[methods][deepcluster]") {
  ModelsRegistry r;
  torch::manual_seed(66);
  BlobFeatures features(30, 32);
  auto group = std::make_shared<ssl::test::ThreadGroup>(2);
  std::vector<std::shared_ptr<ssl::sdk::Method>> ranks;
  std::vector<std::shared_ptr<ssl::sdk::Comm>> comms;
  std::vector<ssl::sdk::EpochContext> ctxs(2);
  for (int64_t rank = 0; rank < 2; ++rank) {
    torch::manual_seed(67);
    ssl::sdk::BuildContext ctx = tiny_context(r);
    ctx.train_size = 30;
    comms.push_back(std::make_shared<ssl::test::ThreadComm>(group, rank));
    ctx.comm = comms.back();
    ranks.push_back(r.method("deepcluster", kDc1, ctx));
    ctxs[size_t(rank)].features = &features;
    ctxs[size_t(rank)].comm = comms.back().get();
  }
  std::vector<std::thread> threads;
  for (size_t rank = 0; rank < 2; ++rank) threads.emplace_back([&, rank] { ranks[rank]->on_epoch_start(ctxs[rank]); });
  for (auto& t : threads) t.join();
  auto b0 = ranks[0]->named_buffers(), b1 = ranks[1]->named_buffers();
  CHECK(at::equal(b0["assignments"], b1["assignments"]));
  CHECK(at::equal(b0["cluster_sizes"], b1["cluster_sizes"]));
  CHECK(b0["assignments"].min().item<int64_t>() >= 0);
  for (int64_t i = 0; i < 30; ++i) CHECK(b0["assignments"][i].item<int64_t>() == b0["assignments"][i % 3].item<int64_t>());
  CHECK(at::equal(ctxs[0].sampling_weights, ctxs[1].sampling_weights));
}
