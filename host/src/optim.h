#pragma once
// Optimizers over the method's named parameter groups: SGD (momentum, Nesterov), LARS (You et
// al. 2017; biases and normalisation parameters excluded from adaptation and weight decay, as
// in SimCLR/BYOL) and AdamW (Loshchilov & Hutter 2019), plus the warm-up + cosine schedule.
#include <ATen/core/Tensor.h>

#include <string>
#include <vector>

#include "ssl/sdk/config.h"
#include "ssl/sdk/method.h"

namespace ssl::host {

class Optimizer {
 public:
  // `config`: the [optimizer] section. `batch_scale`: global batch / 256 for lr_scaling = "linear".
  Optimizer(std::vector<sdk::ParamGroup> groups, const sdk::Config& config, double batch_scale);

  double base_lr() const { return base_lr_; }
  // One update with the scheduled learning rate `lr` (groups with fixed_lr use base_lr).
  // Returns the global gradient norm before clipping (0 when not computed).
  double step(double lr);
  void zero_grad();
  const std::vector<sdk::ParamGroup>& groups() const { return groups_; }

  // Optimizer state (momentum / Adam moments and the step count) as named tensors.
  std::vector<std::pair<std::string, at::Tensor>> state() const;
  void load_state(const std::vector<std::pair<std::string, at::Tensor>>& state);
  // Forgets the state (momentum / Adam moments) of these parameters, as for a freshly built
  // optimizer: a method re-initialised them in place (EpochContext::reinitialized). Each must be
  // one of the optimizer's parameters (the same tensor).
  void reset_state(const std::vector<at::Tensor>& params);

 private:
  struct Slot {
    at::Tensor param;
    double lr_scale = 1.0, weight_decay = 0.0;
    bool fixed_lr = false, adapt = true;  // adapt: LARS trust ratio applies
    at::Tensor buf1, buf2;                // momentum / Adam first and second moments
  };
  std::string type_;
  double base_lr_, momentum_, weight_decay_, eps_, eta_, clip_, beta1_, beta2_;
  bool nesterov_, lars_clip_;
  int64_t steps_ = 0;
  std::vector<sdk::ParamGroup> groups_;
  std::vector<Slot> slots_;
};

// Linear warm-up then cosine decay (or constant), evaluated per step, over the steps the run
// really has: `total_steps` (min(epochs * steps_per_epoch, trainer.max_steps)); `planned_steps`
// is epochs * steps_per_epoch. The warm-up is schedule.warmup_epochs * steps_per_epoch steps.
// A warm-up that does not end before the last step (max_steps shorter than it, or
// warmup_epochs >= epochs) is scaled, keeping its share of the planned run:
//   warmup = min(warmup, planned_steps) * total_steps / planned_steps   (rounded down)
// so a run cut short by max_steps still warms up and decays in the same proportions; a
// warm-up as long as the planned run itself stays the whole run (the rate only rises).
// Either way warning() names both numbers.
class LrSchedule {
 public:
  LrSchedule(const sdk::Config& schedule, double base_lr, int64_t steps_per_epoch, int64_t planned_steps,
             int64_t total_steps);
  double at(int64_t step) const;
  int64_t warmup_steps() const { return warmup_steps_; }
  int64_t total_steps() const { return total_steps_; }
  // Why the configured warm-up was changed ("" when it fits the run).
  const std::string& warning() const { return warning_; }

 private:
  std::string type_;
  double base_lr_, start_lr_, min_lr_;
  int64_t warmup_steps_, total_steps_;
  std::string warning_;
};

}  // namespace ssl::host
