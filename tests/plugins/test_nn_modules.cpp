// Shared modules of ssl/nn: MLPHead, EMA helpers, KeyQueue.
#include <ATen/ATen.h>
#include <catch2/catch.hpp>
#include <ATen/core/grad_mode.h>
#include <torch/utils.h>

#include <string>
#include <vector>

#include "ssl/nn/ema.h"
#include "ssl/nn/head.h"
#include "ssl/nn/queue.h"

namespace {

bool has_parameter(torch::nn::Module& m, const std::string& name) {
  return m.named_parameters().contains(name);
}

}  // namespace

TEST_CASE("MLPHead builds Linear-BN-ReLU-Linear with no bias before a BN") {
  torch::manual_seed(10);
  ssl::nn::MLPHead head(ssl::nn::MLPHeadOptions(8, 16, 4));  // BYOL shape: 2 layers, hidden BN
  CHECK(head->layers->size() == 4);
  CHECK(has_parameter(*head, "layers.0.weight"));
  CHECK_FALSE(has_parameter(*head, "layers.0.bias"));  // followed by BN
  CHECK(has_parameter(*head, "layers.1.weight"));      // BN affine
  CHECK(has_parameter(*head, "layers.3.bias"));        // last Linear, no BN after it
  CHECK(head->forward(at::randn({5, 8})).sizes() == at::IntArrayRef({5, 4}));
  CHECK_THROWS(head->forward(at::randn({5, 7})));
}

TEST_CASE("MLPHead with a last BN without affine has no last bias and no last BN parameters") {
  torch::manual_seed(11);
  // SimSiam projector shape: 3 layers, BN everywhere, last BN without affine.
  ssl::nn::MLPHead head(
      ssl::nn::MLPHeadOptions(6, 12, 10).num_layers(3).last_batch_norm(true).last_bn_affine(false));
  // Linear BN ReLU Linear BN ReLU Linear BN
  REQUIRE(head->layers->size() == 8);
  CHECK_FALSE(has_parameter(*head, "layers.6.bias"));
  CHECK_FALSE(has_parameter(*head, "layers.7.weight"));
  CHECK(head->named_buffers().contains("layers.7.running_mean"));
  const at::Tensor y = head->forward(at::randn({9, 6}));
  CHECK(y.sizes() == at::IntArrayRef({9, 10}));
  // Non-affine BN in training mode: every output column has mean 0 over the batch.
  CHECK(y.mean(0).abs().max().item<double>() < 1e-5);
}

TEST_CASE("MLPHead without batch norm (SimCLR) keeps every bias and has no BN") {
  torch::manual_seed(12);
  ssl::nn::MLPHead head(ssl::nn::MLPHeadOptions(8, 32, 16).batch_norm(false));
  CHECK(head->layers->size() == 3);
  CHECK(has_parameter(*head, "layers.0.bias"));
  CHECK(has_parameter(*head, "layers.2.bias"));
  CHECK(head->named_buffers().size() == 0);
  CHECK(head->forward(at::randn({1, 8})).sizes() == at::IntArrayRef({1, 16}));
  ssl::nn::MLPHead linear(ssl::nn::MLPHeadOptions(8, 0, 3).num_layers(1));
  CHECK(linear->layers->size() == 1);
}

TEST_CASE("ema_update moves parameters to tau*target + (1-tau)*online and copies buffers") {
  torch::manual_seed(13);
  ssl::nn::MLPHead online(ssl::nn::MLPHeadOptions(4, 8, 3));
  ssl::nn::MLPHead target(ssl::nn::MLPHeadOptions(4, 8, 3));
  online->forward(at::randn({6, 4}));  // changes online's BN running statistics
  std::vector<at::Tensor> expected;
  for (size_t i = 0; i < target->parameters().size(); ++i)
    expected.push_back(0.9 * target->parameters()[i].detach() +
                       0.1 * online->parameters()[i].detach());
  ssl::nn::ema_update(*target, *online, 0.9);
  for (size_t i = 0; i < expected.size(); ++i)
    CHECK(at::allclose(target->parameters()[i], expected[i], 1e-6, 1e-7));
  const at::Tensor target_mean = target->named_buffers()["layers.1.running_mean"];
  const at::Tensor online_mean = online->named_buffers()["layers.1.running_mean"];
  CHECK(online_mean.abs().sum().item<double>() > 0);
  CHECK(at::equal(target_mean, online_mean));
  CHECK_FALSE(target->parameters()[0].grad().defined());
}

TEST_CASE("copy_weights makes the target equal to the online network and freeze stops gradients") {
  torch::manual_seed(14);
  ssl::nn::MLPHead online(ssl::nn::MLPHeadOptions(4, 8, 3));
  ssl::nn::MLPHead target(ssl::nn::MLPHeadOptions(4, 8, 3));
  ssl::nn::copy_weights(*target, *online);
  ssl::nn::freeze(*target);
  for (size_t i = 0; i < online->parameters().size(); ++i) {
    CHECK(at::equal(target->parameters()[i], online->parameters()[i]));
    CHECK_FALSE(target->parameters()[i].requires_grad());
    CHECK(online->parameters()[i].requires_grad());
  }
  ssl::nn::MLPHead other(ssl::nn::MLPHeadOptions(4, 8, 5));
  CHECK_THROWS(ssl::nn::copy_weights(*other, *online));
  CHECK_THROWS(ssl::nn::ema_update(*other, *online, 0.99));
}

TEST_CASE("cosine_momentum goes from base to final along a half cosine") {
  CHECK(ssl::nn::cosine_momentum(0.99, 1.0, 0.0) == Approx(0.99));
  CHECK(ssl::nn::cosine_momentum(0.99, 1.0, 1.0) == Approx(1.0));
  CHECK(ssl::nn::cosine_momentum(0.99, 1.0, 0.5) == Approx(0.995));
  CHECK(ssl::nn::cosine_momentum(0.99, 0.999, 0.25) ==
        Approx(0.999 - 0.009 * (std::cos(3.14159265358979 * 0.25) + 1) / 2));
  CHECK(ssl::nn::cosine_momentum(0.99, 1.0, 2.0) == Approx(1.0));  // clamped
}

TEST_CASE("KeyQueue keeps its size and FIFO order across wrap-around") {
  torch::manual_seed(15);
  ssl::nn::KeyQueue queue(5, 2);
  CHECK(queue->keys().sizes() == at::IntArrayRef({5, 2}));
  CHECK(queue->filled() == 0);
  // Key k is the row [k, -k].
  auto keys = [](int64_t first, int64_t count) {
    const at::Tensor k = at::arange(first, first + count, at::kFloat);
    return at::stack({k, -k}, 1);
  };
  queue->enqueue(keys(0, 2));
  queue->enqueue(keys(2, 2));
  queue->enqueue(keys(4, 2));  // k5 wraps to row 0
  CHECK(queue->pointer() == 1);
  CHECK(queue->filled() == 5);
  CHECK(queue->keys().sizes() == at::IntArrayRef({5, 2}));
  CHECK(at::equal(queue->keys().select(1, 0), at::tensor({5.f, 1.f, 2.f, 3.f, 4.f})));
  queue->enqueue(keys(10, 5));  // a full-size batch starting at row 1
  CHECK(queue->pointer() == 1);
  CHECK(at::equal(queue->keys().select(1, 0), at::tensor({14.f, 10.f, 11.f, 12.f, 13.f})));
  CHECK_THROWS(queue->enqueue(keys(0, 6)));
  CHECK_THROWS(queue->enqueue(at::zeros({2, 3})));
}

TEST_CASE("KeyQueue state is buffers, so a copy of them restores the queue") {
  torch::manual_seed(16);
  ssl::nn::KeyQueue a(4, 3), b(4, 3);
  a->enqueue(at::ones({3, 3}));
  const auto buffers = a->named_buffers();
  REQUIRE(buffers.contains("queue"));
  REQUIRE(buffers.contains("ptr"));
  ssl::nn::copy_weights(*b, *a);
  CHECK(b->pointer() == 3);
  CHECK(b->filled() == 3);
  CHECK(at::equal(b->keys(), a->keys()));
}

TEST_CASE("MLPHead clone is an independent copy with equal weights (target networks)") {
  torch::manual_seed(17);
  ssl::nn::MLPHead online(ssl::nn::MLPHeadOptions(4, 8, 3));
  auto target = std::dynamic_pointer_cast<ssl::nn::MLPHeadImpl>(online->clone());
  REQUIRE(target != nullptr);
  const at::Tensor x = at::randn({5, 4});
  online->eval();
  target->eval();
  CHECK(at::allclose(online->forward(x), target->forward(x)));
  {
    at::NoGradGuard no_grad;
    online->parameters()[0].add_(1.0);
  }
  CHECK_FALSE(at::allclose(online->forward(x), target->forward(x)));
}
