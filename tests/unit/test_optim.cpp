#include <catch2/catch.hpp>

#include <ATen/ATen.h>

#include <cmath>

#include "host_schema.h"
#include "optim.h"

using namespace ssl::host;
using ssl::sdk::Value;

namespace {
ssl::sdk::Config optim(std::map<std::string, Value> given) { return optimizer_schema().resolve(given, "[optimizer]"); }

ssl::sdk::ParamGroup group_of(std::vector<at::Tensor> params) {
  ssl::sdk::ParamGroup g;
  g.name = "all";
  g.params = std::move(params);
  return g;
}
}  // namespace

TEST_CASE("warm-up rises linearly and cosine decays to min_lr") {
  auto s = schedule_schema().resolve({{"warmup_epochs", Value(1.0)}, {"min_lr", Value(0.01)}}, "[schedule]");
  LrSchedule lr(s, 1.0, 10, 110, 110);
  CHECK(lr.at(0) == Approx(0.0));
  CHECK(lr.at(5) == Approx(0.5));
  CHECK(lr.at(10) == Approx(1.0));
  CHECK(lr.at(60) == Approx(0.505));
  CHECK(lr.at(110) == Approx(0.01));
}

TEST_CASE("a run cut short by max_steps decays its learning rate to min_lr at its last step") {
  auto s = schedule_schema().resolve({{"warmup_epochs", Value(1.0)}, {"min_lr", Value(0.01)}}, "[schedule]");
  // 10 epochs of 10 steps planned, max_steps = 30: the warm-up (10 steps) fits and stays.
  LrSchedule lr(s, 1.0, 10, 100, 30);
  CHECK(lr.warning().empty());
  CHECK(lr.warmup_steps() == 10);
  CHECK(lr.at(10) == Approx(1.0));
  CHECK(lr.at(20) == Approx(0.505));
  CHECK(lr.at(30) == Approx(0.01));
}

TEST_CASE("a warm-up longer than max_steps is scaled to its share of the planned run, with a warning") {
  auto s = schedule_schema().resolve({{"warmup_epochs", Value(2.0)}, {"min_lr", Value(0.0)}}, "[schedule]");
  // Planned: 10 epochs x 10 steps, warm-up 20 steps (a fifth); max_steps = 10 is shorter than it.
  LrSchedule lr(s, 1.0, 10, 100, 10);
  CHECK(lr.warmup_steps() == 2);
  CHECK(lr.at(1) == Approx(0.5));
  CHECK(lr.at(2) == Approx(1.0));
  CHECK(lr.at(6) == Approx(0.5));
  CHECK(lr.at(9) < lr.at(6));  // it decays instead of only rising
  CHECK(lr.at(10) == Approx(0.0).margin(1e-12));
  CHECK_THAT(lr.warning(), Catch::Contains("warm-up (20 steps") && Catch::Contains("(10 steps, trainer.max_steps)") &&
                               Catch::Contains("scaled to 2 steps"));
}

TEST_CASE("a warm-up as long as the planned run spans the whole run, with a warning") {
  auto s = schedule_schema().resolve({{"warmup_epochs", Value(3.0)}}, "[schedule]");
  LrSchedule lr(s, 1.0, 10, 20, 20);  // 2 epochs planned, 3 epochs of warm-up
  CHECK(lr.warmup_steps() == 20);
  CHECK(lr.at(10) == Approx(0.5));
  CHECK_THAT(lr.warning(),
             Catch::Contains("warm-up (30 steps") && Catch::Contains("(20 steps)") && Catch::Contains("only rises"));
  auto none = schedule_schema().resolve({{"warmup_epochs", Value(0.0)}}, "[schedule]");
  CHECK(LrSchedule(none, 1.0, 10, 20, 5).warning().empty());
}

TEST_CASE("SGD with momentum and weight decay matches the hand-computed update") {
  at::Tensor w = at::tensor({1.0, -2.0}, at::kDouble).requires_grad_();
  Optimizer opt({group_of({w})}, optim({{"lr", Value(0.1)}, {"momentum", Value(0.5)}, {"weight_decay", Value(0.1)}}),
                1.0);
  for (int i = 0; i < 2; ++i) {
    opt.zero_grad();
    w.sum().backward();  // gradient 1 everywhere
    opt.step(0.1);
  }
  // step 1: d = 1 + 0.1*w0, buf = d, w1 = w0 - 0.1 d ; step 2: d' = 1 + 0.1*w1, buf = 0.5 buf + d', w2 = w1 - 0.1 buf
  const double w0 = 1.0, d1 = 1 + 0.1 * w0, w1 = w0 - 0.1 * d1, d2 = 1 + 0.1 * w1, b2 = 0.5 * d1 + d2,
               w2 = w1 - 0.1 * b2;
  CHECK(w[0].item<double>() == Approx(w2));
}

TEST_CASE("LARS adapts weights by the trust ratio and leaves biases unadapted and undecayed") {
  at::Tensor w = at::full({2, 2}, 2.0, at::kDouble).requires_grad_();
  at::Tensor b = at::full({2}, 2.0, at::kDouble).requires_grad_();
  Optimizer opt({group_of({w, b})},
                optim({{"type", Value(std::string("lars"))},
                       {"momentum", Value(0.0)},
                       {"weight_decay", Value(0.0)},
                       {"lars_eta", Value(0.02)}}),
                1.0);
  opt.zero_grad();
  (w.sum() + b.sum()).backward();
  opt.step(1.0);
  // ||w|| = 4, ||g|| = 2: trust = 0.02 * 4 / 2 = 0.04; bias: plain step of 1.
  CHECK(w[0][0].item<double>() == Approx(2.0 - 0.04));
  CHECK(b[0].item<double>() == Approx(1.0));
}

TEST_CASE("clipped LARS steps by min(trust ratio, lr): never faster than SGD") {
  auto clipped_step = [](double grad, double lr) {
    at::Tensor w = at::full({2, 2}, 2.0, at::kDouble).requires_grad_();
    Optimizer opt({group_of({w})},
                  optim({{"type", Value(std::string("lars"))},
                         {"momentum", Value(0.0)},
                         {"weight_decay", Value(0.0)},
                         {"lars_eta", Value(0.02)},
                         {"lars_clip_lr", Value(true)}}),
                  1.0);
    opt.zero_grad();
    (w.sum() * grad).backward();
    opt.step(lr);
    return 2.0 - w[0][0].item<double>();
  };
  // ||w|| = 4, ||g|| = 2 * grad: trust = 0.04 / grad.
  // grad 1, lr 1: trust 0.04 < lr, so the step is 0.04 * g = 0.04 (as unclipped at lr 1).
  CHECK(clipped_step(1.0, 1.0) == Approx(0.04));
  // grad 1, lr 0.01: trust 0.04 > lr, SGD's step lr * g = 0.01 binds.
  CHECK(clipped_step(1.0, 0.01) == Approx(0.01));
  // grad 1, lr 0.1: trust 0.04 < lr: the step is 0.04, not lr * trust = 0.004 as unclipped.
  CHECK(clipped_step(1.0, 0.1) == Approx(0.04));
  // A tiny gradient: trust 40 > lr 1, so the step is SGD's 1 * 0.001, not 40 * 0.001.
  CHECK(clipped_step(0.001, 1.0) == Approx(0.001));
}

TEST_CASE("a fixed-lr group ignores the schedule and lr_scaling multiplies the base lr") {
  at::Tensor a = at::zeros({1}, at::kDouble).requires_grad_();
  at::Tensor p = at::zeros({1}, at::kDouble).requires_grad_();
  auto fixed = group_of({p});
  fixed.fixed_lr = true;
  Optimizer opt({group_of({a}), fixed},
                optim({{"lr", Value(0.1)},
                       {"momentum", Value(0.0)},
                       {"weight_decay", Value(0.0)},
                       {"lr_scaling", Value(std::string("linear"))}}),
                2.0);
  CHECK(opt.base_lr() == Approx(0.2));
  opt.zero_grad();
  (a.sum() + p.sum()).backward();
  opt.step(0.05);
  CHECK(a.item<double>() == Approx(-0.05));
  CHECK(p.item<double>() == Approx(-0.2));
}

TEST_CASE("optimizer state round-trips") {
  at::Tensor w = at::ones({3}, at::kDouble).requires_grad_();
  auto cfg = optim({{"type", Value(std::string("adamw"))}});
  Optimizer a({group_of({w})}, cfg, 1.0);
  a.zero_grad();
  w.sum().backward();
  a.step(0.01);
  Optimizer b({group_of({w})}, cfg, 1.0);
  b.load_state(a.state());
  const auto sa = a.state(), sb = b.state();
  REQUIRE(sa.size() == sb.size());
  for (size_t i = 0; i < sa.size(); ++i) CHECK(at::equal(sa[i].second, sb[i].second));
}

TEST_CASE("gradient clipping bounds the global norm") {
  at::Tensor w = at::zeros({4}, at::kDouble).requires_grad_();
  Optimizer opt({group_of({w})},
                optim({{"grad_clip", Value(1.0)}, {"momentum", Value(0.0)}, {"weight_decay", Value(0.0)}}), 1.0);
  opt.zero_grad();
  (w * 10).sum().backward();  // gradient norm 20
  CHECK(opt.step(1.0) == Approx(20.0));
  CHECK(w.norm().item<double>() == Approx(1.0).epsilon(1e-4));
}

TEST_CASE("reset_state forgets a re-initialised parameter's momentum and keeps the others'") {
  at::Tensor a = at::ones({2}, at::kDouble).requires_grad_(), b = at::ones({2}, at::kDouble).requires_grad_();
  Optimizer opt({group_of({a, b})}, optim({{"lr", Value(0.1)}, {"momentum", Value(0.9)}, {"weight_decay", Value(0.0)}}),
                1.0);
  auto step = [&] {
    opt.zero_grad();
    (a.sum() + b.sum()).backward();  // gradient 1 everywhere
    opt.step(0.1);
  };
  step();
  step();
  opt.reset_state({a});
  const double a0 = a[0].item<double>(), b0 = b[0].item<double>();
  step();
  // a starts over (buf = the gradient: moves 0.1), b keeps its momentum (buf = 0.9 * 1.9 + 1).
  CHECK(a[0].item<double>() == Approx(a0 - 0.1));
  CHECK(b[0].item<double>() == Approx(b0 - 0.1 * (0.9 * 1.9 + 1.0)));
  at::Tensor stranger = at::ones({2}, at::kDouble);
  CHECK_THROWS_WITH(opt.reset_state({stranger}), Catch::Contains("none of its trainable parameters"));
}
