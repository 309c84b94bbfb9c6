// method_contrastive: MoCo v2, MoCo v3, NNCLR and DirectCLR through the static twin, on a
// width-4 tiny_cnn and 8 x 1 x 16 x 16 images.
#include <ATen/ATen.h>
#include <catch2/catch.hpp>
#include <torch/csrc/autograd/grad_mode.h>
#include <torch/utils.h>

#include <cmath>

#include "method_test_util.h"
#include "ssl/nn/ema.h"
#include "ssl/nn/head.h"
#include "ssl/nn/momentum.h"

using namespace method_test;
using ssl::nn::MLPHeadImpl;
using ssl::nn::MomentumEncoderImpl;

namespace {

at::Tensor project(ssl::sdk::Method& m, const at::Tensor& x) {
  return child<MLPHeadImpl>(m, "projector")->forward(m.backbone()->forward(x));
}

at::Tensor normalized(const at::Tensor& x) { return x / x.norm(2, {1}, true); }

}  // namespace

// ---- MoCo v2 ----

TEST_CASE("moco_v2: the loss is InfoNCE of query vs [its key, the queue] as written out by hand") {
  torch::manual_seed(40);
  ModelsRegistry r;
  auto m = build(r, "moco_v2", {{"queue_size", int64_t{16}}});
  const auto batch = two_views();
  const at::Tensor queue = m->named_buffers()["queue.queue"].clone();
  const at::Tensor q = project(*m, batch.views[0]);
  const at::Tensor k = child<MomentumEncoderImpl>(*m, "target")->forward(batch.views[1]);
  const auto Q = rows(q), K = rows(k), U = rows(queue);
  double expected = 0;
  for (size_t i = 0; i < Q.size(); ++i) {
    const double pos = std::exp(cosine(Q[i], K[i]) / 0.2);
    double denom = pos;
    for (const auto& u : U) denom += std::exp(cosine(Q[i], u) / 0.2);
    expected -= std::log(pos / denom);
  }
  expected /= double(Q.size());
  CHECK(m->training_step(batch, step_info(0)).loss.item<double>() == Approx(expected).epsilon(1e-4));
}

TEST_CASE("moco_v2: two SGD steps train the backbone, the key encoder gets no gradient") {
  torch::manual_seed(41);
  ModelsRegistry r;
  check_two_steps(r, "moco_v2", {{"queue_size", int64_t{32}}, {"bn_splits", int64_t{2}}});
  auto m = build(r, "moco_v2", {{"queue_size", int64_t{32}}});
  check_target_gets_no_gradient(*m);
}

TEST_CASE("moco_v2: after_step moves the key encoder by the cosine momentum") {
  torch::manual_seed(42);
  ModelsRegistry r;
  auto m = build(r, "moco_v2",
                 {{"queue_size", int64_t{32}}, {"momentum", 0.9}, {"final_momentum", 1.0}});
  const auto info = step_info(1, 4);  // progress 0.25
  check_ema_update(*m, ssl::nn::cosine_momentum(0.9, 1.0, 0.25), info);
  CHECK(ssl::nn::cosine_momentum(0.9, 1.0, 0.25) == Approx(1.0 - 0.1 * (std::cos(M_PI / 4) + 1) / 2));
}

TEST_CASE("moco_v2: the queue keeps its size, is FIFO and receives each step's normalised keys") {
  torch::manual_seed(43);
  ModelsRegistry r;
  auto m = build(r, "moco_v2", {{"queue_size", int64_t{12}}});
  auto target = child<MomentumEncoderImpl>(*m, "target");
  std::vector<at::Tensor> keys;
  for (int64_t s = 0; s < 4; ++s) {
    const auto batch = two_views(4);
    keys.push_back(normalized(target->forward(batch.views[1])));
    sgd_step(*m, batch, step_info(s, 4));
    auto buffers = m->named_buffers();
    const at::Tensor queue = buffers["queue.queue"];
    REQUIRE(queue.sizes() == at::IntArrayRef({12, 8}));
    CHECK(buffers["queue.ptr"].item<int64_t>() == (4 * (s + 1)) % 12);
    CHECK(buffers["queue.count"].item<int64_t>() == std::min<int64_t>(12, 4 * (s + 1)));
    CHECK(at::allclose(queue.narrow(0, (4 * s) % 12, 4), keys.back(), 1e-5, 1e-6));
  }
  // The fourth batch overwrote the oldest rows; the second and third are still in place.
  const at::Tensor queue = m->named_buffers()["queue.queue"];
  CHECK(at::allclose(queue.narrow(0, 0, 4), keys[3], 1e-5, 1e-6));
  CHECK(at::allclose(queue.narrow(0, 4, 4), keys[1], 1e-5, 1e-6));
  CHECK(at::allclose(queue.narrow(0, 8, 4), keys[2], 1e-5, 1e-6));
}

TEST_CASE("moco_v2: bn_splits computes the key encoder's BN statistics per shuffled chunk") {
  // The keys are observed where the method puts them: normalised, in the queue's first rows.
  torch::manual_seed(44);
  ModelsRegistry r;
  auto m = build(r, "moco_v2", {{"queue_size", int64_t{16}}, {"bn_splits", int64_t{2}}});
  auto target = child<MomentumEncoderImpl>(*m, "target");
  const at::Tensor x = at::randn({8, 1, 16, 16});
  torch::manual_seed(7);
  const at::Tensor perm = at::randperm(8, at::kLong);
  const at::Tensor shuffled = x.index_select(0, perm);
  const at::Tensor k_shuffled = at::cat({target->forward(shuffled.narrow(0, 0, 4)),
                                         target->forward(shuffled.narrow(0, 4, 4))}, 0);
  at::Tensor expected = at::empty_like(k_shuffled);
  for (int64_t i = 0; i < 8; ++i) expected[perm[i].item<int64_t>()] = k_shuffled[i];
  ssl::sdk::Batch batch;
  batch.views = {at::randn({8, 1, 16, 16}), x};  // the keys come from views[1]
  batch.view_group = {0, 0};
  torch::manual_seed(7);  // the step's only random draw is the key shuffle
  m->training_step(batch, step_info(0));
  const at::Tensor keys = m->named_buffers()["queue.queue"].narrow(0, 0, 8);
  CHECK(at::allclose(keys, normalized(expected), 1e-5, 1e-6));
  // Whole-batch statistics give different keys.
  CHECK_FALSE(at::allclose(keys, normalized(target->forward(x)), 1e-3, 1e-4));
  ssl::sdk::Batch three;
  three.views = {at::randn({3, 1, 16, 16}), at::randn({3, 1, 16, 16})};
  three.view_group = {0, 0};
  CHECK_THROWS_WITH(m->training_step(three, step_info(1)), Catch::Contains("bn_splits"));
}

TEST_CASE("moco_v2: a checkpoint round trip restores key encoder, queue and pointer exactly") {
  ModelsRegistry r;
  const auto names = check_round_trip(r, "moco_v2", {{"queue_size", int64_t{20}}, {"bn_splits", int64_t{2}}});
  CHECK(contains(names, "target.backbone.features.0.weight"));
  CHECK(contains(names, "target.projector.layers.0.weight"));
  CHECK(contains(names, "queue.queue"));
  CHECK(contains(names, "queue.ptr"));
  CHECK(contains(names, "queue.count"));
}

// ---- MoCo v3 ----

TEST_CASE("moco_v3: the loss is 2 tau (ctr(q1, k2) + ctr(q2, k1)) as written out by hand") {
  torch::manual_seed(50);
  ModelsRegistry r;
  auto m = build(r, "moco_v3");
  const auto batch = two_views();
  auto pred = child<MLPHeadImpl>(*m, "predictor");
  auto target = child<MomentumEncoderImpl>(*m, "target");
  const at::Tensor q1 = pred->forward(project(*m, batch.views[0]));
  const at::Tensor q2 = pred->forward(project(*m, batch.views[1]));
  const at::Tensor k1 = target->forward(batch.views[0]);
  const at::Tensor k2 = target->forward(batch.views[1]);
  const double expected = 2 * 0.2 * (info_nce_loop(q1, k2, 0.2) + info_nce_loop(q2, k1, 0.2));
  CHECK(m->training_step(batch, step_info(0)).loss.item<double>() == Approx(expected).epsilon(1e-4));
}

TEST_CASE("moco_v3: two SGD steps train the backbone, the momentum encoder gets no gradient") {
  torch::manual_seed(51);
  ModelsRegistry r;
  check_two_steps(r, "moco_v3");
  auto m = build(r, "moco_v3");
  check_target_gets_no_gradient(*m);
  // The projector ends in a BN without affine, the predictor does not.
  auto params = m->named_parameters();
  CHECK_FALSE(params.contains("projector.layers.7.weight"));
  CHECK(m->named_buffers().contains("projector.layers.7.running_mean"));
}

TEST_CASE("moco_v3: after_step moves the momentum encoder by the cosine momentum") {
  torch::manual_seed(52);
  ModelsRegistry r;
  auto m = build(r, "moco_v3", {{"momentum", 0.8}, {"final_momentum", 1.0}});
  check_ema_update(*m, ssl::nn::cosine_momentum(0.8, 1.0, 0.5), step_info(2, 4));
}

TEST_CASE("moco_v3: a checkpoint round trip restores online and momentum networks exactly") {
  ModelsRegistry r;
  const auto names = check_round_trip(r, "moco_v3");
  CHECK(contains(names, "target.backbone.features.0.weight"));
  CHECK(contains(names, "predictor.layers.0.weight"));
}

// ---- NNCLR ----

TEST_CASE("nnclr: the loss uses the support set's nearest neighbours as written out by hand") {
  torch::manual_seed(60);
  ModelsRegistry r;
  auto m = build(r, "nnclr", {{"queue_size", int64_t{16}}, {"temperature", 0.1}});
  // First step: empty support set, a view's own projection stands in; 8 rows get enqueued.
  const auto first = two_views();
  const at::Tensor z_first = normalized(project(*m, first.views[0]));
  sgd_step(*m, first, step_info(0));
  REQUIRE(m->named_buffers()["queue.count"].item<int64_t>() == 8);
  const at::Tensor support = m->named_buffers()["queue.queue"].narrow(0, 0, 8).clone();
  CHECK(at::allclose(support, z_first.detach(), 1e-5, 1e-6));  // the first step's normalised z1
  const auto batch = two_views();
  auto pred = child<MLPHeadImpl>(*m, "predictor");
  const at::Tensor z1 = project(*m, batch.views[0]);
  const at::Tensor z2 = project(*m, batch.views[1]);
  auto nearest = [&](const at::Tensor& z) {
    const auto Z = rows(z), S = rows(support);
    at::Tensor out = at::empty({z.size(0), support.size(1)});
    for (size_t i = 0; i < Z.size(); ++i) {
      size_t best = 0;
      for (size_t j = 1; j < S.size(); ++j)
        if (cosine(Z[i], S[j]) > cosine(Z[i], S[best])) best = j;
      out[i] = support[best];
    }
    return out;
  };
  const double expected = 0.5 * (info_nce_loop(nearest(z1), pred->forward(z2), 0.1) +
                                 info_nce_loop(nearest(z2), pred->forward(z1), 0.1));
  auto out = m->training_step(batch, step_info(1));
  CHECK(out.loss.item<double>() == Approx(expected).epsilon(1e-4));
  // The step's normalised z1 went into rows 8..15.
  CHECK(at::allclose(m->named_buffers()["queue.queue"].narrow(0, 8, 8), normalized(z1).detach(),
                     1e-5, 1e-6));
  CHECK(m->named_buffers()["queue.ptr"].item<int64_t>() == 0);
}

TEST_CASE("nnclr: two SGD steps train the backbone and a round trip restores the support set") {
  torch::manual_seed(61);
  ModelsRegistry r;
  check_two_steps(r, "nnclr", {{"queue_size", int64_t{16}}});
  const auto names = check_round_trip(r, "nnclr", {{"queue_size", int64_t{12}}});
  CHECK(contains(names, "queue.queue"));
  CHECK(contains(names, "queue.ptr"));
}

// ---- DirectCLR ----

TEST_CASE("directclr: the loss is NT-Xent on the first d0 backbone dimensions, embed is all of them") {
  torch::manual_seed(70);
  ModelsRegistry r;
  auto m = build(r, "directclr", {{"d0", int64_t{12}}});
  CHECK(m->named_children().size() == 1);  // the backbone only: no projector
  const auto batch = two_views();
  const at::Tensor r1 = m->backbone()->forward(batch.views[0]).narrow(1, 0, 12);
  const at::Tensor r2 = m->backbone()->forward(batch.views[1]).narrow(1, 0, 12);
  const double expected = nt_xent_loop(r1, r2, 0.1);
  CHECK(m->training_step(batch, step_info(0)).loss.item<double>() == Approx(expected).epsilon(1e-4));
  CHECK(m->embed(batch.views[0]).sizes() == at::IntArrayRef({8, 32}));
  CHECK_THROWS_WITH(build(r, "directclr", {{"d0", int64_t{33}}}), Catch::Contains("d0"));
}

TEST_CASE("directclr: two SGD steps train the backbone and a round trip restores it") {
  torch::manual_seed(71);
  ModelsRegistry r;
  check_two_steps(r, "directclr", {{"d0", int64_t{12}}});
  check_round_trip(r, "directclr", {{"d0", int64_t{12}}});
}

// ---- The collapse reference of every K-way loss ----

TEST_CASE("contrastive methods log ln K of their K-way loss as uniform_loss_ref") {
  torch::manual_seed(49);
  ModelsRegistry r;
  auto ref = [&](const std::string& name, Values extra) {
    auto m = build(r, name, std::move(extra));
    const auto out = m->training_step(two_views(), step_info(0));  // N = 8 images
    for (const auto& [key, value] : out.metrics)
      if (key == "uniform_loss_ref") return value.item<double>();
    FAIL(name << " logs no uniform_loss_ref");
    return 0.0;
  };
  CHECK(ref("moco_v2", {{"queue_size", int64_t{16}}}) == Approx(std::log(17.0)));  // key + queue
  CHECK(ref("moco_v3", {{"temperature", 0.2}}) == Approx(2 * 2 * 0.2 * std::log(8.0)));  // two terms x 2 tau
  CHECK(ref("nnclr", {}) == Approx(std::log(8.0)));
  CHECK(ref("directclr", {{"d0", int64_t{8}}}) == Approx(std::log(15.0)));  // 2N - 1
}
