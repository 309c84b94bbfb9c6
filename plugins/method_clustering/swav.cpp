// SwAV (Caron et al., "Unsupervised Learning of Visual Features by Contrasting Cluster
// Assignments", NeurIPS 2020): backbone + projector, the projections z L2-normalised and
// scored against K prototypes (a bias-free Linear whose rows are kept at unit norm: normalised
// at construction and after every optimizer step). For each global crop i the codes
// q_i = Sinkhorn-Knopp(sg(scores_i)) (eps 0.05, 3 iterations, over the global batch through
// Comm, optionally with a queue of past projections in front of the batch) are predicted by
// every other view with softmax(scores_v / 0.1): nn::swapped_prediction_loss.
//
// The safeguard against collapse is the equipartition of the codes: every prototype receives
// the same share of the batch. `codes = "softmax"` replaces Sinkhorn with softmax(scores / eps)
// (no equipartition), the ablation under which every sample ends in one prototype.
//
// Prototypes are frozen (no gradient: the scores use their detached weight) for the first
// freeze_prototypes_epochs; the queue (queue_length > 0) holds each global crop's last
// projections, is filled from epoch queue_start_epoch on and used once full.
//
// Checkpointed state: backbone, projector, prototypes and, with a queue, queue0 / queue1.
#include <ATen/ATen.h>
#include <ATen/core/grad_mode.h>
#include <torch/nn/modules/linear.h>

#include <cmath>
#include <string>
#include <vector>

#include "ssl/nn/clustering_metrics.h"
#include "ssl/nn/collapse_metrics.h"
#include "ssl/nn/contrastive_metrics.h"
#include "ssl/nn/losses.h"
#include "ssl/nn/method_support.h"
#include "ssl/nn/multicrop.h"
#include "ssl/nn/queue.h"
#include "ssl/nn/sinkhorn.h"
#include "ssl/sdk/registrar.h"

namespace ssl::plugins::method_clustering {
namespace {

class SwAV final : public nn::ProjectedMethod {
 public:
  SwAV(const sdk::Config& cfg, const sdk::BuildContext& ctx)
      : nn::ProjectedMethod(cfg, ctx, "swav"), temperature_(cfg.get_float("temperature")),
        epsilon_(cfg.get_float("epsilon")), iterations_(cfg.get_int("sinkhorn_iterations")),
        sinkhorn_(cfg.get_string("codes") == "sinkhorn"), freeze_epochs_(cfg.get_float("freeze_prototypes_epochs")),
        queue_start_epoch_(cfg.get_int("queue_start_epoch")) {
    const int64_t k = cfg.get_int("prototypes"), dim = cfg.get_int("proj_dim");
    prototypes_ = register_module("prototypes", torch::nn::Linear(torch::nn::LinearOptions(dim, k).bias(false)));
    normalize_prototypes();
    if (const int64_t length = cfg.get_int("queue_length"); length > 0) {
      queues_.push_back(register_module("queue0", nn::KeyQueue(length, dim)));
      queues_.push_back(register_module("queue1", nn::KeyQueue(length, dim)));
    }
  }

  static sdk::Schema schema() {
    sdk::Schema s;
    // Caron et al. 2020: projection head L(2048)-BN-ReLU-L(128).
    nn::add_head_keys(s, "proj", "projector", nn::HeadDefaults{2048, 128, 2, true, false});
    s.add_int("prototypes", 3000,
              "K prototypes (paper: 3000 on ImageNet; over-cluster the classes by about 10x and keep "
              "K near the batch size, or use the queue, so the equal partition has samples to share)")
        .min(2);
    s.add_float("temperature", 0.1, "softmax temperature of the swapped prediction (paper: 0.1)").greater_than(0);
    s.add_float("epsilon", 0.05, "Sinkhorn-Knopp entropy regularisation (paper: 0.05)").greater_than(0);
    s.add_int("sinkhorn_iterations", 3, "Sinkhorn-Knopp iterations (paper: 3)").range(1, 100);
    s.add_string("codes", "sinkhorn",
                 "how the codes are computed: sinkhorn (equipartition, the paper) or softmax "
                 "(softmax(scores / epsilon), no equipartition: the collapse ablation)")
        .choices({"sinkhorn", "softmax"});
    s.add_float("freeze_prototypes_epochs", 1.0,
                "epochs (fractions allowed) during which the prototypes get no gradient (paper: the first epoch)")
        .min(0);
    s.add_int("queue_length", 0,
              "projections per global crop kept in a queue for the codes of small batches (per process; 0 = off; "
              "paper: 3840 at batch 256)")
        .range(0, 1 << 20);
    s.add_int("queue_start_epoch", 15, "epoch (0-based) from which the queue is filled (paper: 15)").min(0);
    return s;
  }

  static sdk::ViewSpec views(const sdk::Config&) { return nn::multicrop_views(); }

  // views: 2 global crops then local crops, each [N, C, H, W] -> loss; metrics loss,
  // uniform_loss_ref = ln K, z_std, assignment_entropy (of the batch's argmax
  // prototypes of view 0, nn::assignment_entropy), queue_used (0/1).
  sdk::StepOutput training_step(const sdk::Batch& batch, const sdk::StepInfo& info) override {
    nn::check_multicrop(batch, method_);
    const std::vector<at::Tensor> z =
        nn::forward_multicrop(batch.views, [this](const at::Tensor& x) { return nn::l2_normalize(project(x)); });
    const bool frozen = double(info.step) < freeze_epochs_ * double(info.steps_per_epoch);
    const at::Tensor w = frozen ? prototypes_->weight.detach() : prototypes_->weight;  // [K, D]
    std::vector<at::Tensor> scores;
    for (const auto& zv : z) scores.push_back(at::matmul(zv, w.t()));
    const bool queue_on = !queues_.empty() && info.epoch >= queue_start_epoch_;
    bool queue_used = false;
    std::vector<at::Tensor> codes;
    for (size_t i = 0; i < 2; ++i) codes.push_back(compute_codes(scores[i], i, queue_on, queue_used));
    if (queue_on)
      for (size_t i = 0; i < 2; ++i) queues_[i]->enqueue(z[i].detach());
    sdk::StepOutput out;
    out.loss = nn::swapped_prediction_loss(codes, scores, temperature_);
    out.metrics = {{"loss", out.loss.detach()},
                   {sdk::metric::kUniformLossRef, nn::uniform_loss_ref(w.size(0))},
                   {"z_std", nn::normalized_std_scalar(z[0])},
                   {"assignment_entropy", nn::assignment_entropy(scores[0])},
                   {"queue_used", at::scalar_tensor(queue_used ? 1.0 : 0.0)}};
    return out;
  }

  void after_step(const sdk::StepInfo& info) override {
    nn::ProjectedMethod::after_step(info);
    normalize_prototypes();
  }

 private:
  // The codes of global crop i [B, K]: Sinkhorn (or softmax) of its detached scores, with the
  // queue's scores in front when the queue is on and full.
  at::Tensor compute_codes(const at::Tensor& scores, size_t i, bool queue_on, bool& queue_used) {
    at::NoGradGuard no_grad;
    at::Tensor s = scores.detach();
    if (queue_on && queues_[i]->filled() == queues_[i]->size()) {
      s = at::cat({at::matmul(queues_[i]->keys(), prototypes_->weight.t()), s}, 0);
      queue_used = true;
    }
    const at::Tensor q = sinkhorn_ ? nn::sinkhorn_knopp(s, epsilon_, iterations_, comm_.get())
                                   : at::softmax(s / epsilon_, 1);
    return q.narrow(0, q.size(0) - scores.size(0), scores.size(0));
  }

  void normalize_prototypes() {
    at::NoGradGuard no_grad;
    prototypes_->weight.copy_(nn::l2_normalize(prototypes_->weight));
  }

  double temperature_, epsilon_;
  int64_t iterations_;
  bool sinkhorn_;
  double freeze_epochs_;
  int64_t queue_start_epoch_;
  torch::nn::Linear prototypes_{nullptr};
  std::vector<nn::KeyQueue> queues_;
};

}  // namespace

void register_swav(sdk::Registrar& r) {
  r.add_method<SwAV>("swav", "SwAV: swapped prediction of Sinkhorn-equipartitioned prototype codes, multi-crop");
}

}  // namespace ssl::plugins::method_clustering
