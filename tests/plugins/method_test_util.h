#pragma once
// Test helpers for the method plugins: a tiny_cnn build context, fixed two-view batches,
// manual SGD steps over parameter_groups(), checkpoint copy by name, module lookup, and the
// losses written out as explicit loops in double precision (independent of ssl/nn/losses).
#include <ATen/ATen.h>
#include <catch2/catch.hpp>
#include <ATen/core/grad_mode.h>

#include <cmath>
#include <memory>
#include <string>
#include <vector>

#include "models_registry.h"
#include "ssl/sdk/method.h"

namespace method_test {

using models_test::ModelsRegistry;
using models_test::Values;

// make_backbone builds a tiny_cnn of width 4 (32 features) for 1-channel images.
inline ssl::sdk::BuildContext tiny_context(const ModelsRegistry& registry) {
  ssl::sdk::BuildContext ctx;
  ctx.role = "method";
  ctx.input_channels = 1;
  ctx.make_backbone = [&registry] {
    ssl::sdk::BuildContext b;
    b.role = "backbone";
    b.input_channels = 1;
    return registry.backbone("tiny_cnn", {{"width", int64_t{4}}}, b);
  };
  return ctx;
}

// Small heads for every method (keys absent from a schema are dropped).
inline Values small_heads(const ModelsRegistry& registry, const std::string& method, Values extra) {
  const auto& schema = registry.spec(ssl::sdk::Kind::Method, method).schema;
  Values v;
  for (const auto& [k, val] : Values{{"proj_hidden_dim", int64_t{16}},
                                     {"proj_dim", int64_t{8}},
                                     {"pred_hidden_dim", int64_t{16}}})
    if (schema.find(k)) v[k] = val;
  for (auto& [k, val] : extra) v[k] = val;
  return v;
}

inline std::shared_ptr<ssl::sdk::Method> build(const ModelsRegistry& registry,
                                               const std::string& method, Values extra = {}) {
  return registry.method(method, small_heads(registry, method, std::move(extra)),
                         tiny_context(registry));
}

// Two views [8, 1, 16, 16] of the same random images, drawn from the global generator.
inline ssl::sdk::Batch two_views(int64_t n = 8) {
  const at::Tensor x = at::randn({n, 1, 16, 16});
  ssl::sdk::Batch batch;
  batch.views = {x + 0.3 * at::randn_like(x), x + 0.3 * at::randn_like(x)};
  batch.view_group = {0, 0};
  return batch;
}

inline ssl::sdk::StepInfo step_info(int64_t step, int64_t total = 4) {
  ssl::sdk::StepInfo info;
  info.step = step;
  info.total_steps = total;
  return info;
}

// One training step by hand: zero grads, loss, backward, plain SGD (lr 0.05) on every
// parameter of every group, after_step. Returns the loss.
inline double sgd_step(ssl::sdk::Method& method, const ssl::sdk::Batch& batch,
                       const ssl::sdk::StepInfo& info) {
  auto groups = method.parameter_groups();
  for (auto& g : groups)
    for (auto& p : g.params)
      if (p.grad().defined()) p.mutable_grad().zero_();
  auto out = method.training_step(batch, info);
  out.loss.backward();
  {
    at::NoGradGuard no_grad;
    for (auto& g : groups)
      for (auto& p : g.params)
        if (p.grad().defined()) p.add_(p.grad(), -0.05);
  }
  method.after_step(info);
  return out.loss.item<double>();
}

// The value of the step metric `name` (a test failure when the step did not log it).
inline double metric(const ssl::sdk::StepOutput& out, const std::string& name) {
  for (const auto& [k, v] : out.metrics)
    if (k == name) return v.item<double>();
  FAIL("no metric " << name);
  return 0;
}

// Every parameter and buffer of `from` copied into `to` by name (a checkpoint round trip).
inline void copy_state(ssl::sdk::Method& to, ssl::sdk::Method& from) {
  at::NoGradGuard no_grad;
  auto dst_p = to.named_parameters();
  for (const auto& item : from.named_parameters()) dst_p[item.key()].copy_(item.value());
  auto dst_b = to.named_buffers();
  for (const auto& item : from.named_buffers()) dst_b[item.key()].copy_(item.value());
}

// Names of tensors (parameters and buffers) that differ between two methods.
inline std::vector<std::string> differing_tensors(ssl::sdk::Method& a, ssl::sdk::Method& b) {
  std::vector<std::string> diff;
  auto bp = b.named_parameters();
  for (const auto& item : a.named_parameters())
    if (!at::equal(item.value(), bp[item.key()])) diff.push_back(item.key());
  auto bb = b.named_buffers();
  for (const auto& item : a.named_buffers())
    if (!at::equal(item.value(), bb[item.key()])) diff.push_back(item.key());
  return diff;
}

// The submodule `name` of a method, cast to its implementation type.
template <class Impl>
std::shared_ptr<Impl> child(ssl::sdk::Method& method, const std::string& name) {
  auto c = std::dynamic_pointer_cast<Impl>(method.named_children()[name]);
  REQUIRE(c != nullptr);
  return c;
}

// ---- Losses by the definition, element by element, in double ----

inline std::vector<std::vector<double>> rows(const at::Tensor& t) {
  const at::Tensor d = t.detach().to(at::kDouble).contiguous();
  std::vector<std::vector<double>> r(d.size(0), std::vector<double>(d.size(1)));
  for (int64_t i = 0; i < d.size(0); ++i)
    for (int64_t j = 0; j < d.size(1); ++j) r[i][j] = d[i][j].item<double>();
  return r;
}

inline double cosine(const std::vector<double>& a, const std::vector<double>& b) {
  double ab = 0, aa = 0, bb = 0;
  for (size_t i = 0; i < a.size(); ++i) ab += a[i] * b[i], aa += a[i] * a[i], bb += b[i] * b[i];
  return ab / std::sqrt(aa * bb);
}

// -1/N sum_i log( exp(cos(q_i, k_i)/t) / sum_j exp(cos(q_i, k_j)/t) )
inline double info_nce_loop(const at::Tensor& q, const at::Tensor& k, double t) {
  const auto Q = rows(q), K = rows(k);
  double total = 0;
  for (size_t i = 0; i < Q.size(); ++i) {
    double denom = 0;
    for (size_t j = 0; j < K.size(); ++j) denom += std::exp(cosine(Q[i], K[j]) / t);
    total -= cosine(Q[i], K[i]) / t - std::log(denom);
  }
  return total / double(Q.size());
}

// NT-Xent over the 2N rows of [z1; z2].
inline double nt_xent_loop(const at::Tensor& z1, const at::Tensor& z2, double t) {
  const auto A = rows(at::cat({z1, z2}, 0));
  const size_t m = A.size(), n = m / 2;
  double total = 0;
  for (size_t i = 0; i < m; ++i) {
    double denom = 0;
    for (size_t j = 0; j < m; ++j)
      if (j != i) denom += std::exp(cosine(A[i], A[j]) / t);
    total -= cosine(A[i], A[(i + n) % m]) / t - std::log(denom);
  }
  return total / double(m);
}

inline double mean_cos_loop(const at::Tensor& a, const at::Tensor& b) {
  const auto A = rows(a), B = rows(b);
  double s = 0;
  for (size_t i = 0; i < A.size(); ++i) s += cosine(A[i], B[i]);
  return s / double(A.size());
}

}  // namespace method_test

namespace method_test {

inline bool same_tensor(const at::Tensor& a, const at::Tensor& b) {
  return a.unsafeGetTensorImpl() == b.unsafeGetTensorImpl();
}

// Two manual SGD steps: finite scalar loss, a non-zero gradient in the backbone's first conv,
// detached finite scalar metrics, and parameter groups holding exactly the trainable
// parameters (so frozen target networks are in none).
inline void check_two_steps(const ModelsRegistry& registry, const std::string& name,
                            Values extra = {}) {
  const Values values = small_heads(registry, name, std::move(extra));
  REQUIRE(registry.views(name, values).min_views == 2);
  auto method = registry.method(name, values, tiny_context(registry));
  const at::Tensor conv = method->named_parameters()["backbone.features.0.weight"];
  size_t grouped = 0;
  for (const auto& g : method->parameter_groups()) {
    for (const auto& p : g.params) {
      CHECK(p.requires_grad());
      ++grouped;
    }
  }
  size_t trainable = 0;
  for (const auto& p : method->parameters()) trainable += p.requires_grad() ? 1 : 0;
  CHECK(grouped == trainable);
  for (int64_t s = 0; s < 2; ++s) {
    const auto batch = two_views();
    auto out = method->training_step(batch, step_info(s));
    REQUIRE(out.loss.dim() == 0);
    CHECK(std::isfinite(out.loss.item<double>()));
    REQUIRE_FALSE(out.metrics.empty());
    for (const auto& [key, value] : out.metrics) {
      INFO(name << "/" << key);
      CHECK(value.dim() == 0);
      CHECK_FALSE(value.requires_grad());
      CHECK(std::isfinite(value.item<double>()));
    }
    for (auto& p : method->parameters())
      if (p.grad().defined()) p.mutable_grad().zero_();
    out.loss.backward();
    REQUIRE(conv.grad().defined());
    CHECK(conv.grad().abs().sum().item<double>() > 0);
    {
      at::NoGradGuard no_grad;
      for (auto& g : method->parameter_groups())
        for (auto& p : g.params)
          if (p.grad().defined()) p.add_(p.grad(), -0.05);
    }
    method->after_step(step_info(s));
  }
}

// The "target." subtree: frozen, outside every parameter group, no gradient after a step.
inline void check_target_gets_no_gradient(ssl::sdk::Method& method) {
  std::vector<at::Tensor> targets;
  for (const auto& item : method.named_parameters())
    if (item.key().rfind("target.", 0) == 0) targets.push_back(item.value());
  REQUIRE(targets.size() > 4);
  for (const auto& g : method.parameter_groups())
    for (const auto& p : g.params)
      for (const auto& t : targets) CHECK_FALSE(same_tensor(p, t));
  method.training_step(two_views(), step_info(0)).loss.backward();
  for (const auto& t : targets) {
    CHECK_FALSE(t.requires_grad());
    CHECK_FALSE(t.grad().defined());
  }
}

// After a manual SGD step, after_step(info) sets every target parameter to
// tau * target + (1 - tau) * online and copies every online buffer.
inline void check_ema_update(ssl::sdk::Method& method, double tau, const ssl::sdk::StepInfo& info) {
  method.training_step(two_views(), info).loss.backward();
  {
    at::NoGradGuard no_grad;
    for (auto& g : method.parameter_groups())
      for (auto& p : g.params)
        if (p.grad().defined()) p.add_(p.grad(), -0.5);
  }
  auto params = method.named_parameters();
  std::vector<std::pair<std::string, at::Tensor>> expected;
  for (const auto& item : params)
    if (item.key().rfind("target.", 0) == 0)
      expected.emplace_back(item.key(), tau * item.value().detach().clone() +
                                            (1 - tau) * params[item.key().substr(7)].detach());
  REQUIRE(expected.size() > 4);
  method.after_step(info);
  auto after = method.named_parameters();
  for (const auto& [key, value] : expected) {
    INFO(key);
    CHECK(at::allclose(after[key], value, 1e-6, 1e-7));
  }
  auto buffers = method.named_buffers();
  for (const auto& item : buffers)
    if (item.key().rfind("target.", 0) == 0) {
      INFO(item.key());
      CHECK(at::equal(item.value(), buffers[item.key().substr(7)]));
    }
}

// Train two steps, copy every parameter and buffer by name into a fresh instance, compare all
// of them and the loss of the next step. Returns the tensor names that were compared.
inline std::vector<std::string> check_round_trip(const ModelsRegistry& registry,
                                                 const std::string& name, Values extra = {}) {
  torch::manual_seed(101);
  auto trained = build(registry, name, extra);
  sgd_step(*trained, two_views(), step_info(0));
  sgd_step(*trained, two_views(), step_info(1));
  torch::manual_seed(202);
  auto fresh = build(registry, name, extra);
  REQUIRE_FALSE(differing_tensors(*trained, *fresh).empty());
  copy_state(*fresh, *trained);
  CHECK(differing_tensors(*trained, *fresh).empty());
  const auto batch = two_views();
  torch::manual_seed(303);
  const double a = trained->training_step(batch, step_info(2)).loss.item<double>();
  torch::manual_seed(303);
  const double b = fresh->training_step(batch, step_info(2)).loss.item<double>();
  CHECK(a == b);
  std::vector<std::string> names;
  for (const auto& item : trained->named_parameters()) names.push_back(item.key());
  for (const auto& item : trained->named_buffers()) names.push_back(item.key());
  return names;
}

inline bool contains(const std::vector<std::string>& names, const std::string& name) {
  for (const auto& n : names)
    if (n == name) return true;
  return false;
}

}  // namespace method_test
