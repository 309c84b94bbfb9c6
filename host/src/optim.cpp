#include "optim.h"

#include <ATen/ATen.h>
#include <fmt/core.h>

#include <algorithm>
#include <cmath>

#include "ssl/sdk/error.h"

namespace ssl::host {

Optimizer::Optimizer(std::vector<sdk::ParamGroup> groups, const sdk::Config& c, double batch_scale)
    : type_(c.get_string("type")),
      base_lr_(c.get_float("lr") * (c.get_string("lr_scaling") == "linear" ? batch_scale : 1.0)),
      momentum_(c.get_float("momentum")), weight_decay_(c.get_float("weight_decay")), eps_(c.get_float("eps")),
      eta_(c.get_float("lars_eta")), clip_(c.get_float("grad_clip")), beta1_(c.get_float_list("betas").at(0)),
      beta2_(c.get_float_list("betas").at(1)), nesterov_(c.get_bool("nesterov")),
      lars_clip_(c.get_bool("lars_clip_lr")), groups_(std::move(groups)) {
  const bool exclude = c.get_bool("exclude_bias_and_norm");
  for (const auto& g : groups_) {
    for (const auto& p : g.params) {
      SSL_CHECK(p.defined() && p.requires_grad(), "parameter group '", g.name,
                "' holds a tensor that does not require grad");
      Slot s;
      s.param = p;
      s.lr_scale = g.lr_scale;
      s.fixed_lr = g.fixed_lr;
      s.weight_decay = g.weight_decay.value_or(weight_decay_);
      // Biases and norm scales/shifts are the 1-D parameters.
      if (type_ == "lars" && exclude && p.dim() <= 1) {
        s.adapt = false;
        s.weight_decay = 0.0;
      }
      slots_.push_back(std::move(s));
    }
  }
  SSL_CHECK(!slots_.empty(), "the method has no trainable parameters");
}

void Optimizer::zero_grad() {
  for (auto& s : slots_) {
    at::Tensor g = s.param.mutable_grad();
    if (g.defined()) g.zero_();
  }
}

double Optimizer::step(double lr) {
  at::NoGradGuard no_grad;
  ++steps_;
  double norm = 0.0;
  if (clip_ > 0) {
    std::vector<at::Tensor> norms;
    for (auto& s : slots_)
      if (s.param.grad().defined()) norms.push_back(s.param.grad().norm(2).to(at::kFloat));
    if (!norms.empty()) {
      norm = at::stack(norms).norm(2).item<double>();
      if (norm > clip_) {
        const double scale = clip_ / (norm + 1e-6);
        for (auto& s : slots_)
          if (s.param.grad().defined()) s.param.mutable_grad().mul_(scale);
      }
    }
  }
  for (auto& s : slots_) {
    at::Tensor g = s.param.grad();
    if (!g.defined()) continue;
    const double group_lr = (s.fixed_lr ? base_lr_ : lr) * s.lr_scale;
    if (type_ == "adamw") {
      if (!s.buf1.defined()) {
        s.buf1 = at::zeros_like(s.param);
        s.buf2 = at::zeros_like(s.param);
      }
      s.param.mul_(1.0 - group_lr * s.weight_decay);
      s.buf1.mul_(beta1_).add_(g, 1.0 - beta1_);
      s.buf2.mul_(beta2_).addcmul_(g, g, 1.0 - beta2_);
      const double bc1 = 1.0 - std::pow(beta1_, double(steps_));
      const double bc2 = 1.0 - std::pow(beta2_, double(steps_));
      at::Tensor denom = (s.buf2 / bc2).sqrt_().add_(eps_);
      s.param.addcdiv_(s.buf1, denom, -group_lr / bc1);
      continue;
    }
    at::Tensor d = s.weight_decay > 0 ? g.add(s.param, s.weight_decay) : g.clone();
    if (type_ == "lars" && s.adapt) {
      // Trust ratio eta * ||w|| / ||g + wd w||, 1 where either norm is zero. Clipped (LARC):
      // min(trust / lr, 1), so the step lr * that is min(trust, lr): never above SGD's.
      const at::Tensor w_norm = s.param.norm(2), d_norm = d.norm(2);
      at::Tensor trust =
          at::where(at::logical_and(w_norm > 0, d_norm > 0), eta_ * w_norm / d_norm, at::ones_like(w_norm));
      if (lars_clip_ && group_lr > 0) trust = at::clamp_max(trust / group_lr, 1.0);
      d.mul_(trust);
    }
    if (momentum_ > 0) {
      if (!s.buf1.defined()) s.buf1 = d.clone();
      else s.buf1.mul_(momentum_).add_(d);
      d = nesterov_ ? d.add(s.buf1, momentum_) : s.buf1;
    }
    s.param.add_(d, -group_lr);
  }
  return norm;
}

std::vector<std::pair<std::string, at::Tensor>> Optimizer::state() const {
  std::vector<std::pair<std::string, at::Tensor>> out;
  out.emplace_back("steps", at::tensor(steps_, at::kLong));
  for (size_t i = 0; i < slots_.size(); ++i) {
    if (slots_[i].buf1.defined()) out.emplace_back("buf1." + std::to_string(i), slots_[i].buf1);
    if (slots_[i].buf2.defined()) out.emplace_back("buf2." + std::to_string(i), slots_[i].buf2);
  }
  return out;
}

void Optimizer::load_state(const std::vector<std::pair<std::string, at::Tensor>>& state) {
  at::NoGradGuard no_grad;
  for (const auto& [name, t] : state) {
    if (name == "steps") {
      steps_ = t.item<int64_t>();
      continue;
    }
    const auto dot = name.find('.');
    SSL_CHECK(dot != std::string::npos, "unexpected optimizer state entry '", name, "'");
    const size_t i = std::stoul(name.substr(dot + 1));
    SSL_CHECK(i < slots_.size(), "optimizer state has slot ", i, " but the model has ", slots_.size(),
              " parameters: the checkpoint belongs to another model");
    Slot& s = slots_[i];
    SSL_CHECK(t.sizes() == s.param.sizes(), "optimizer state '", name, "' has shape ", t.sizes(),
              " but the parameter has ", s.param.sizes());
    at::Tensor copy = t.to(s.param.device()).clone();
    (name.rfind("buf1", 0) == 0 ? s.buf1 : s.buf2) = copy;
  }
}

void Optimizer::reset_state(const std::vector<at::Tensor>& params) {
  for (const at::Tensor& p : params) {
    auto it = std::find_if(slots_.begin(), slots_.end(), [&](const Slot& s) { return s.param.is_same(p); });
    SSL_CHECK(it != slots_.end(), "the method reported a re-initialised tensor of shape ", p.sizes(),
              " that is none of its trainable parameters (EpochContext::reinitialized takes the parameters "
              "themselves, re-initialised in place)");
    it->buf1 = at::Tensor();
    it->buf2 = at::Tensor();
  }
}

LrSchedule::LrSchedule(const sdk::Config& c, double base_lr, int64_t steps_per_epoch, int64_t planned_steps,
                       int64_t total_steps)
    : type_(c.get_string("type")), base_lr_(base_lr), start_lr_(c.get_float("warmup_start_lr")),
      min_lr_(c.get_float("min_lr")),
      warmup_steps_(static_cast<int64_t>(std::llround(c.get_float("warmup_epochs") * double(steps_per_epoch)))),
      total_steps_(std::max<int64_t>(total_steps, 1)) {
  const int64_t configured = warmup_steps_;
  if (configured == 0 || configured < total_steps_) return;
  const int64_t planned = std::max(planned_steps, total_steps_);
  warmup_steps_ = std::min(configured, planned) * total_steps_ / planned;
  const std::string what = fmt::format(
      "the warm-up ({} steps, schedule.warmup_epochs = {}) does not end before the "
      "run's last step ({} steps",
      configured, c.get_float("warmup_epochs"), total_steps_);
  if (warmup_steps_ < total_steps_) {
    warning_ = fmt::format("{}, trainer.max_steps): scaled to {} steps, its share of the planned {} steps", what,
                           warmup_steps_, planned);
  } else {
    warning_ =
        fmt::format("{}): the learning rate only rises; lower schedule.warmup_epochs below trainer.epochs", what);
  }
}

double LrSchedule::at(int64_t step) const {
  if (step < warmup_steps_) {
    return start_lr_ + (base_lr_ - start_lr_) * double(step) / double(std::max<int64_t>(warmup_steps_, 1));
  }
  if (type_ == "constant") return base_lr_;
  const double span = double(std::max<int64_t>(total_steps_ - warmup_steps_, 1));
  const double t = std::min(1.0, double(step - warmup_steps_) / span);
  return min_lr_ + 0.5 * (base_lr_ - min_lr_) * (1.0 + std::cos(M_PI * t));
}

}  // namespace ssl::host
