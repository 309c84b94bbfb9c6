#include "alarms.h"

#include <ATen/ATen.h>
#include <fmt/core.h>

#include <cmath>

#include "metrics.h"
#include "ssl/nn/collapse_metrics.h"
#include "ssl/sdk/backbone.h"
#include "ssl/sdk/error.h"
#include "ssl/sdk/log.h"
#include "ssl/sdk/method.h"

namespace ssl::host {

namespace {
constexpr const char* kCollapseMeaning = "the embeddings are collapsing to a point (complete collapse)";
constexpr const char* kRankMeaning =
    "the representation spans only a few directions (dimensional collapse)";
constexpr const char* kUniformMeaning =
    "the loss is stuck at ln K: the method's predictions are uniform and nothing is being learned "
    "(collapse, or a learning rate that is too high or too low)";

std::string last_component(const std::string& key) {
  const auto slash = key.rfind('/');
  return slash == std::string::npos ? key : key.substr(slash + 1);
}

std::string prefix_of(const std::string& key) {
  const auto slash = key.rfind('/');
  return slash == std::string::npos ? std::string() : key.substr(0, slash);
}

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

std::optional<double> number(const nlohmann::json& j) {
  if (!j.is_number()) return std::nullopt;
  const double v = j.get<double>();
  if (!std::isfinite(v)) return std::nullopt;
  return v;
}
}  // namespace

AlarmOptions AlarmOptions::from_config(const sdk::Config& c) {
  AlarmOptions o;
  o.std_sqrt_d_below = c.get_float("std_sqrt_d_below");
  o.rankme_fraction_below = c.get_float("rankme_fraction_below");
  o.uniform_loss_tolerance = c.get_float("uniform_loss_tolerance");
  o.uniform_loss_patience = c.get_int("uniform_loss_patience");
  o.stop_on_alarm = c.get_bool("stop_on_alarm");
  o.batch_check_every = c.get_int("batch_check_every");
  return o;
}

std::string AlarmEvent::line() const {
  return fmt::format("alarm: {} = {:.4g} {} {:.4g} at epoch {} step {} — {}", metric, value, comparison, threshold,
                     display_epoch, step, meaning);
}

nlohmann::json AlarmEvent::record() const {
  return nlohmann::json{{"step", step},       {"epoch", epoch},         {"alarm", metric},
                        {"value", value},     {"threshold", threshold}, {"meaning", meaning}};
}

Alarms::Alarms(AlarmOptions options) : options_(options) {}

std::optional<AlarmEvent> Alarms::crossed(const std::string& key, bool bad, double value, double threshold,
                                          const std::string& comparison, const std::string& meaning) {
  bool& active = fired_[key];
  if (!bad) {
    active = false;  // recovered: re-armed
    return std::nullopt;
  }
  if (active) return std::nullopt;  // already reported for this crossing
  active = true;
  AlarmEvent e;
  e.metric = key;
  e.value = value;
  e.threshold = threshold;
  e.comparison = comparison;
  e.meaning = meaning;
  return e;
}

std::vector<AlarmEvent> Alarms::observe(const nlohmann::json& record, int64_t display_epoch) {
  std::vector<AlarmEvent> out;
  if (!record.is_object() || record.contains("alarm")) return out;
  const int64_t step = record.value("step", int64_t(0));
  const int64_t epoch = record.value("epoch", int64_t(0));
  auto emit = [&](std::optional<AlarmEvent> e) {
    if (!e) return;
    e->step = step;
    e->epoch = epoch;
    e->display_epoch = display_epoch;
    out.push_back(std::move(*e));
  };

  std::optional<double> uniform_ref;
  for (const auto& [key, j] : record.items()) {
    const auto v = number(j);
    if (!v) continue;
    const std::string leaf = last_component(key);
    if (leaf == sdk::metric::kStdSqrtD && options_.std_sqrt_d_below > 0) {
      emit(crossed(key, *v < options_.std_sqrt_d_below, *v, options_.std_sqrt_d_below, "<", kCollapseMeaning));
    } else if (leaf == sdk::metric::kRankMe && options_.rankme_fraction_below > 0) {
      const std::string prefix = prefix_of(key);
      const std::string dim_key = prefix + "/" + sdk::metric::kDim;
      std::optional<double> dim;
      if (record.contains(dim_key)) dim = number(record[dim_key]);
      if (!dim) {
        const auto it = dims_.find(last_component(prefix));
        if (it != dims_.end()) dim = double(it->second);
      }
      if (!dim || *dim <= 0) continue;
      const double threshold = options_.rankme_fraction_below * *dim;
      emit(crossed(key, *v < threshold, *v, threshold, "<", kRankMeaning));
    } else if (ends_with(key, std::string("/") + sdk::metric::kUniformLossRef)) {
      uniform_ref = v;
    }
  }

  if (uniform_ref && *uniform_ref > 0 && options_.uniform_loss_tolerance > 0 && record.contains("loss")) {
    if (const auto loss = number(record["loss"])) {
      const bool near = std::abs(*loss - *uniform_ref) <= options_.uniform_loss_tolerance * *uniform_ref;
      if (!near) near_uniform_since_.reset();
      else if (!near_uniform_since_) near_uniform_since_ = step;
      const bool stuck = near && step - *near_uniform_since_ >= options_.uniform_loss_patience;
      // Re-arm only once the loss has left the band, not while the patience runs.
      if (stuck || !near) emit(crossed("loss", stuck, *loss, *uniform_ref, "~=", kUniformMeaning));
    }
  }
  return out;
}

std::vector<AlarmEvent> Alarms::check(const nlohmann::json& record, int64_t display_epoch, MetricsLog& log, Console& console) {
  const auto events = observe(record, display_epoch);
  for (const auto& e : events) {
    log.write(e.record());
    console.line(e.line());
  }
  return events;
}

BatchCollapse batch_collapse(sdk::Method& method, const at::Tensor& view) {
  SSL_CHECK(view.dim() >= 2 && view.size(0) >= 2, "the batch check needs at least 2 images, got ", view.sizes());
  at::NoGradGuard no_grad;
  std::vector<at::Tensor> saved;
  for (const auto& b : method.buffers()) saved.push_back(b.clone());
  at::Tensor z;
  try {
    z = method.embed(view);
  } catch (...) {
    size_t i = 0;
    for (auto& b : method.buffers()) b.copy_(saved[i++]);
    throw;
  }
  size_t i = 0;
  for (auto& b : method.buffers()) b.copy_(saved[i++]);
  z = z.reshape({z.size(0), -1});
  BatchCollapse out;
  out.std_sqrt_d = nn::normalized_std(z).std_sqrt_d;
  out.rankme = nn::rankme(z);
  out.dim = z.size(1);
  out.n = z.size(0);
  return out;
}

void learn_dimensions(Alarms& alarms, sdk::Method& method, const at::Tensor& view) {
  const bool was_training = method.is_training();
  method.eval();
  try {
    at::NoGradGuard no_grad;
    const at::Tensor x = view.narrow(0, 0, std::min<int64_t>(2, view.size(0)));
    const at::Tensor f = method.backbone()->forward(x);
    alarms.set_dimension("backbone", f.reshape({f.size(0), -1}).size(1));
    const at::Tensor z = method.embed(x);
    alarms.set_dimension("embedding", z.reshape({z.size(0), -1}).size(1));
  } catch (const std::exception& e) {
    // Not fatal: the rankme alarms of these features are then off.
    sdk::log_warning(std::string("alarms: cannot learn the feature dimensions (rankme alarms off): ") + e.what());
    if (!alarms.has_dimension("backbone")) alarms.set_dimension("backbone", 0);
    alarms.set_dimension("embedding", 0);
  }
  method.train(was_training);
}

}  // namespace ssl::host
