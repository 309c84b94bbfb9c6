// DINO (Caron et al., "Emerging Properties in Self-Supervised Vision Transformers", ICCV
// 2021): self-distillation without labels. A student (backbone + head) and a teacher (their
// EMA copies, cosine momentum 0.996 -> 1, never in an optimizer group). The head is an MLP to
// a bottleneck, L2-normalised, then a weight-normalised last layer with its norm fixed to 1
// (the paper's norm_last_layer): logits = norm(h) . norm(v_k) for K output dimensions.
//
// The teacher sees the 2 global crops, the student every crop; each student view predicts the
// teacher distribution of every other global crop (nn::swapped_prediction_loss) with
//   teacher: softmax((t - center) / tau_t), tau_t warmed up linearly 0.04 -> 0.07 over the first
//            teacher_temp_warmup of the run, then constant;   student: log_softmax(s / 0.1).
// After every step center = m center + (1 - m) mean(t) over the global batch (m 0.9).
//
// The two safeguards against collapse, each with its ablation: centring stops one dimension
// from dominating (center = false: the teacher output becomes one-hot, the loss goes to 0);
// sharpening (tau_t < tau_s) stops the uniform collapse that centring alone leads to
// (sharpen = false: tau_t = tau_s, the output goes uniform and the loss to ln K).
//
// The last layer gets no gradient for the first freeze_last_layer_epochs (its detached weight is
// used), as the paper does to stabilise the start. Gradient clipping is the host's
// optimizer.grad_clip (the paper clips at 3.0).
//
// Checkpointed state: backbone, head, teacher.backbone, teacher.head, the buffer center.
#include <ATen/ATen.h>
#include <ATen/core/grad_mode.h>
#include <torch/nn/module.h>

#include <algorithm>
#include <cmath>
#include <memory>
#include <vector>

#include "ssl/nn/clustering_metrics.h"
#include "ssl/nn/collapse_metrics.h"
#include "ssl/nn/contrastive_metrics.h"
#include "ssl/nn/ema.h"
#include "ssl/nn/losses.h"
#include "ssl/nn/method_support.h"
#include "ssl/nn/multicrop.h"
#include "ssl/sdk/comm.h"
#include "ssl/sdk/registrar.h"

namespace ssl::plugins::method_clustering {
namespace {

// MLP (the "proj_*" keys) -> bottleneck h -> norm(h) . norm(last_layer)^T: [N, in] -> [N, K].
class DinoHead : public torch::nn::Module {
 public:
  DinoHead(const sdk::Config& cfg, int64_t in_dim) {
    mlp = register_module("mlp", nn::make_head(cfg, "proj", in_dim));
    last_layer = register_parameter("last_layer", at::randn({cfg.get_int("out_dim"), cfg.get_int("proj_dim")}) * 0.02);
  }
  at::Tensor bottleneck(const at::Tensor& x) { return mlp->forward(x); }
  at::Tensor forward(const at::Tensor& x, bool freeze_last_layer) {
    const at::Tensor w = nn::l2_normalize(freeze_last_layer ? last_layer.detach() : last_layer);
    return at::matmul(nn::l2_normalize(bottleneck(x)), w.t());
  }
  nn::MLPHead mlp{nullptr};
  at::Tensor last_layer;  // [K, bottleneck]: weight-norm direction; the norm is fixed to 1
};

class DINO final : public sdk::Method {
 public:
  DINO(const sdk::Config& cfg, const sdk::BuildContext& ctx)
      : student_temp_(cfg.get_float("student_temp")), warmup_teacher_temp_(cfg.get_float("warmup_teacher_temp")),
        teacher_temp_(cfg.get_float("teacher_temp")), teacher_temp_warmup_(cfg.get_float("teacher_temp_warmup")),
        center_momentum_(cfg.get_float("center_momentum")), centring_(cfg.get_bool("center")),
        sharpen_(cfg.get_bool("sharpen")), freeze_epochs_(cfg.get_float("freeze_last_layer_epochs")),
        base_tau_(cfg.get_float("momentum")), final_tau_(cfg.get_float("final_momentum")),
        comm_(nn::resolve_comm(ctx)) {
    backbone_ = register_module("backbone", nn::build_backbone(ctx, "dino"));
    head_ = register_module("head", std::make_shared<DinoHead>(cfg, backbone_->num_features()));
    teacher_ = register_module("teacher", std::make_shared<torch::nn::Module>());
    teacher_backbone_ = teacher_->register_module("backbone", nn::build_backbone(ctx, "dino"));
    teacher_head_ = teacher_->register_module("head", std::make_shared<DinoHead>(cfg, backbone_->num_features()));
    nn::copy_weights(*teacher_backbone_, *backbone_);
    nn::copy_weights(*teacher_head_, *head_);
    nn::freeze(*teacher_);
    center_ = register_buffer("center", at::zeros({1, cfg.get_int("out_dim")}));
  }

  static sdk::Schema schema() {
    sdk::Schema s;
    // Caron et al. 2021: 3-layer MLP (2048 hidden) to a 256-d bottleneck, no BN.
    nn::add_head_keys(s, "proj", "head MLP (to the bottleneck)", nn::HeadDefaults{2048, 256, 3, false, false});
    s.add_int("out_dim", 65536,
              "K output dimensions of the weight-normalised last layer (paper: 65536 on ImageNet; "
              "solo-learn CIFAR: 4096)")
        .min(2);
    s.add_float("student_temp", 0.1, "student softmax temperature (paper: 0.1)").greater_than(0);
    s.add_float("warmup_teacher_temp", 0.04, "teacher temperature at the start (paper: 0.04)").greater_than(0);
    s.add_float("teacher_temp", 0.07, "teacher temperature after the warm-up (paper: 0.04..0.07)").greater_than(0);
    s.add_float("teacher_temp_warmup", 0.3,
                "share of the run over which the teacher temperature rises linearly (paper: 30 of 100 epochs)")
        .range(0, 1);
    s.add_float("center_momentum", 0.9, "momentum m of the teacher centre (paper: 0.9)").range(0, 1);
    s.add_bool("center", true, "subtract the centre from the teacher output (false: the one-dimension collapse ablation)");
    s.add_bool("sharpen", true,
               "teacher temperature below the student's (false: tau_t = student_temp, the uniform collapse ablation)");
    s.add_float("freeze_last_layer_epochs", 1.0, "epochs during which the last layer gets no gradient (paper: 1)")
        .min(0);
    nn::add_momentum_keys(s, 0.996, 1.0, "DINO: cosine 0.996 -> 1");
    return s;
  }

  static sdk::ViewSpec views(const sdk::Config&) { return nn::multicrop_views(); }

  std::shared_ptr<sdk::Backbone> backbone() const override { return backbone_; }
  // The student's bottleneck (before its normalisation), for the collapse diagnostics.
  at::Tensor embed(const at::Tensor& images) override { return head_->bottleneck(backbone_->forward(images)); }

  // The teacher temperature at a training progress in [0, 1].
  double teacher_temperature(double progress) const {
    if (!sharpen_) return student_temp_;
    if (teacher_temp_warmup_ <= 0 || progress >= teacher_temp_warmup_) return teacher_temp_;
    return warmup_teacher_temp_ + (teacher_temp_ - warmup_teacher_temp_) * progress / teacher_temp_warmup_;
  }

  // views: 2 global crops then local crops -> loss; metrics loss, uniform_loss_ref = ln K,
  // momentum_tau, teacher_temp, teacher_entropy (mean entropy of the teacher's distributions over
  // ln K: 1 uniform, 0 one-hot), teacher_max_share (largest batch-mean teacher probability of one
  // dimension: 1 when one dimension takes everything), assignment_entropy, z_std.
  sdk::StepOutput training_step(const sdk::Batch& batch, const sdk::StepInfo& info) override {
    nn::check_multicrop(batch, "dino");
    const bool frozen = double(info.step) < freeze_epochs_ * double(info.steps_per_epoch);
    const std::vector<at::Tensor> student = nn::forward_multicrop(
        batch.views, [&](const at::Tensor& x) { return head_->forward(backbone_->forward(x), frozen); });
    const double t_temp = teacher_temperature(info.progress());
    std::vector<at::Tensor> targets;
    at::Tensor teacher_sum;
    {
      at::NoGradGuard no_grad;
      const std::vector<at::Tensor> globals(batch.views.begin(), batch.views.begin() + 2);
      const std::vector<at::Tensor> teacher = nn::forward_multicrop(
          globals, [&](const at::Tensor& x) { return teacher_head_->forward(teacher_backbone_->forward(x), false); });
      for (const auto& t : teacher) targets.push_back(at::softmax((centring_ ? t - center_ : t) / t_temp, 1));
      teacher_sum = (teacher[0] + teacher[1]).sum(0, true);
      rows_ = 2 * batch.views[0].size(0);
    }
    pending_center_ = teacher_sum;
    sdk::StepOutput out;
    out.loss = nn::swapped_prediction_loss(targets, student, student_temp_);
    const int64_t k = center_.size(1);
    const at::Tensor p = at::cat(targets, 0);
    out.metrics = {{"loss", out.loss.detach()},
                   {sdk::metric::kUniformLossRef, nn::uniform_loss_ref(k)},
                   {"momentum_tau", at::scalar_tensor(nn::cosine_momentum(base_tau_, final_tau_, info.progress()))},
                   {"teacher_temp", at::scalar_tensor(t_temp)},
                   {"teacher_entropy", -(p * p.clamp_min(1e-12).log()).sum(1).mean() / std::log(double(k))},
                   {"teacher_max_share", std::get<0>(p.mean(0).max(0))},
                   {"assignment_entropy", nn::assignment_entropy(p)},
                   {"z_std", nn::normalized_std_scalar(student[0])}};
    return out;
  }

  // The teacher's EMA step and the centre update with this step's teacher output.
  void after_step(const sdk::StepInfo& info) override {
    const double tau = nn::cosine_momentum(base_tau_, final_tau_, info.progress());
    nn::ema_update(*teacher_backbone_, *backbone_, tau);
    nn::ema_update(*teacher_head_, *head_, tau);
    if (!pending_center_.defined()) return;
    at::NoGradGuard no_grad;
    at::Tensor sum = pending_center_;
    at::Tensor rows = at::full({1}, double(rows_), sum.options());
    comm_->all_reduce_sum(sum);
    comm_->all_reduce_sum(rows);
    center_.mul_(center_momentum_).add_(sum / rows, 1.0 - center_momentum_);
    pending_center_ = at::Tensor();
  }

 private:
  double student_temp_, warmup_teacher_temp_, teacher_temp_, teacher_temp_warmup_, center_momentum_;
  bool centring_, sharpen_;
  double freeze_epochs_, base_tau_, final_tau_;
  std::shared_ptr<sdk::Comm> comm_;
  std::shared_ptr<sdk::Backbone> backbone_, teacher_backbone_;
  std::shared_ptr<DinoHead> head_, teacher_head_;
  std::shared_ptr<torch::nn::Module> teacher_;
  at::Tensor center_;          // [1, K] buffer
  at::Tensor pending_center_;  // [1, K]: this step's teacher output summed over the local rows
  int64_t rows_ = 0;
};

}  // namespace

void register_dino(sdk::Registrar& r) {
  r.add_method<DINO>("dino", "DINO: a student predicts its EMA teacher's centred, sharpened output, multi-crop");
}

}  // namespace ssl::plugins::method_clustering
