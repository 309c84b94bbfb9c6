// DeepCluster v2 (Caron et al. 2020, the SwAV paper's appendix; the official
// main_deepclusterv2): SwAV's network (backbone, projector, L2-normalised projections z) with
// targets from k-means instead of Sinkhorn. A memory bank holds the normalised projections of
// the 2 global crops of every training sample, written by dataset index during the epoch. At
// the start of each epoch, for every head h (one per entry of `prototypes`, each its own K),
// spherical k-means (nn::kmeans: k-means++ seeding, empty clusters re-seeded on far points)
// clusters the bank's crop h mod 2; the centroids become that head's prototypes and the
// assignments the epoch's targets. Loss: for every head and every crop, cross-entropy of
// softmax(z . prototypes_h / 0.1) against the sample's assignment, averaged over heads and crops.
//
// The prototypes are not learned (buffers, overwritten by the centroids every epoch). Each bank
// row records the epoch it was written in; an epoch clusters the rows written during the epoch
// before (a sample the previous epoch did not reach, e.g. dropped with the last partial batch,
// has no target for one epoch and is left out of the loss). The first epoch's bank is filled
// before training by one pass over the training set (two augmented views, as the official
// code's memory initialisation). With several processes every rank writes the global batch's
// rows (gathered), so the ranks' banks, their k-means and the checkpoint are the single
// process's; rank 0's clustering is broadcast so that the ranks agree bit for bit, and the
// loss is normalised by the global batch's count of samples with a target.
//
// What keeps it from collapsing is the re-clustering of a fixed-size memory with empty clusters
// re-seeded: K clusters stay in use, so the targets cannot become one class.
//
// Checkpointed state: backbone, projector, bank [2, N, D], bank_epoch [N], prototypes_<h>
// [K_h, D], assignments [H, N], clustered_epoch [1] (the epoch the assignments belong to, so a
// run resumed mid-epoch keeps that epoch's targets instead of re-clustering a changed bank).
#include <ATen/ATen.h>
#include <ATen/core/grad_mode.h>

#include <algorithm>
#include <iomanip>
#include <sstream>
#include <string>
#include <vector>

#include "ssl/nn/clustering_metrics.h"
#include "ssl/nn/collapse_metrics.h"
#include "ssl/nn/contrastive_metrics.h"
#include "ssl/nn/kmeans.h"
#include "ssl/nn/losses.h"
#include "ssl/nn/method_support.h"
#include "ssl/nn/multicrop.h"
#include "ssl/sdk/comm.h"
#include "ssl/sdk/error.h"
#include "ssl/sdk/features.h"
#include "ssl/sdk/log.h"
#include "ssl/sdk/registrar.h"

namespace ssl::plugins::method_clustering {
namespace {

class DeepClusterV2 final : public nn::ProjectedMethod {
 public:
  DeepClusterV2(const sdk::Config& cfg, const sdk::BuildContext& ctx)
      : nn::ProjectedMethod(cfg, ctx, "deepcluster_v2"), temperature_(cfg.get_float("temperature")),
        kmeans_iterations_(cfg.get_int("kmeans_iterations")), seed_(ctx.seed) {
    const int64_t n = ctx.train_size, dim = cfg.get_int("proj_dim");
    SSL_CHECK(n > 0, "method deepcluster_v2 needs the training set's size (BuildContext::train_size) for its "
                     "memory bank; the host gave none");
    ks_ = cfg.get_int_list("prototypes");
    SSL_CHECK(!ks_.empty(), "method deepcluster_v2: 'prototypes' lists no head");
    double mean_k = 0;
    for (const int64_t k : ks_) {
      SSL_CHECK(k >= 2 && k <= n, "method deepcluster_v2: every head's K must be in [2, ", n,
                "] (the training set's size), got ", k);
      mean_k += double(k) / double(ks_.size());
    }
    uniform_k_ = int64_t(mean_k + 0.5);
    bank_ = register_buffer("bank", at::zeros({2, n, dim}));
    written_ = register_buffer("bank_epoch", at::full({n}, -2, at::kLong));
    for (size_t h = 0; h < ks_.size(); ++h)
      prototypes_.push_back(register_buffer("prototypes_" + std::to_string(h), at::zeros({ks_[h], dim})));
    assignments_ = register_buffer("assignments", at::full({int64_t(ks_.size()), n}, -1, at::kLong));
    clustered_epoch_ = register_buffer("clustered_epoch", at::full({1}, -1, at::kLong));
  }

  static sdk::Schema schema() {
    sdk::Schema s;
    // Caron et al. 2020 (SwAV's network): L(2048)-BN-ReLU-L(128).
    nn::add_head_keys(s, "proj", "projector", nn::HeadDefaults{2048, 128, 2, true, false});
    s.add_int_list("prototypes", {3000, 3000, 3000},
                   "K of each k-means head (paper: 3 x 3000 on ImageNet; over-cluster the classes about 10x)");
    s.add_float("temperature", 0.1, "softmax temperature of the prediction (paper: 0.1)").greater_than(0);
    s.add_int("kmeans_iterations", 10, "Lloyd iterations of each epoch's k-means (paper: 10)").range(1, 1000);
    return s;
  }

  static sdk::ViewSpec views(const sdk::Config&) { return nn::multicrop_views(); }

  // Clusters the bank for this epoch (once: a resumed epoch keeps its targets).
  void on_epoch_start(sdk::EpochContext& ctx) override {
    if (clustered_epoch_.item<int64_t>() == ctx.epoch) return;
    at::NoGradGuard no_grad;
    if (!(written_ == ctx.epoch - 1).any().item<bool>()) fill_bank(ctx);
    cluster(ctx.epoch, ctx.comm);
  }

  // views: 2 global crops then local crops -> loss; metrics loss, uniform_loss_ref (ln of the
  // mean K), z_std, assignment_entropy (of the batch's targets in head 0), targets_known (share
  // of the batch with a target).
  sdk::StepOutput training_step(const sdk::Batch& batch, const sdk::StepInfo& info) override {
    nn::check_multicrop(batch, method_);
    SSL_CHECK(batch.indices.defined() && batch.indices.numel() == batch.views[0].size(0),
              "method deepcluster_v2 needs Batch::indices (dataset positions) for its memory bank");
    const at::Tensor idx = batch.indices.to(bank_.device());
    SSL_CHECK(!at::logical_or(idx < 0, idx >= bank_.size(1)).any().item<bool>(),
              "method deepcluster_v2: a batch index lies outside the memory bank of ", bank_.size(1), " samples");
    const std::vector<at::Tensor> z =
        nn::forward_multicrop(batch.views, [this](const at::Tensor& x) { return nn::l2_normalize(project(x)); });
    at::Tensor total;
    at::Tensor known;
    for (size_t h = 0; h < ks_.size(); ++h) {
      const at::Tensor targets = assignments_[int64_t(h)].index_select(0, idx);  // [B], -1 before clustering
      known = targets >= 0;
      // Mean over the global batch's samples with a target (a batch without any gives 0, not
      // 0 / 0); each rank divides its sum by the ranks' mean count (the gradient convention).
      at::Tensor count = known.sum().to(at::kFloat).reshape({1});
      if (comm_->world_size() > 1) {
        comm_->all_reduce_sum(count);
        count = count / double(comm_->world_size());
      }
      count = count.clamp_min(1.0 / double(comm_->world_size())).reshape({});
      for (const auto& zv : z) {
        const at::Tensor term = at::cross_entropy_loss(at::matmul(zv, prototypes_[h].t()) / temperature_, targets,
                                                       {}, at::Reduction::Sum, -1) / count;
        total = total.defined() ? total + term : term;
      }
    }
    {
      at::NoGradGuard no_grad;
      // The global batch's rows: every rank's bank stays the same (and the checkpoint whole).
      const at::Tensor all_idx = comm_->all_gather(idx);
      for (int64_t c = 0; c < 2; ++c) bank_[c].index_copy_(0, all_idx, comm_->all_gather(z[size_t(c)].detach()));
      written_.index_fill_(0, all_idx, info.epoch);
    }
    sdk::StepOutput out;
    out.loss = total / double(ks_.size() * z.size());
    const at::Tensor t0 = assignments_[0].index_select(0, idx).clamp_min(0);
    out.metrics = {{"loss", out.loss.detach()},
                   {sdk::metric::kUniformLossRef, nn::uniform_loss_ref(uniform_k_)},
                   {"z_std", nn::normalized_std_scalar(z[0])},
                   {"assignment_entropy", nn::assignment_entropy(at::one_hot(t0, ks_[0]).to(at::kFloat))},
                   {"targets_known", known.to(at::kFloat).mean()}};
    return out;
  }

 private:
  // The bank before an epoch that follows none: the projections of two augmented views of every
  // training sample, as if written the epoch before (every rank extracts them all).
  void fill_bank(sdk::EpochContext& ctx) {
    SSL_CHECK(ctx.features != nullptr, "method deepcluster_v2: the host gave no feature source to fill the memory bank");
    sdk::FeatureRequest req;
    req.split = sdk::Split::Train;
    req.representation = sdk::Representation::Embedding;
    req.augmented_views = 2;
    req.seed = seed_;
    sdk::log_info("deepcluster_v2: filling the memory bank (" + std::to_string(bank_.size(1)) +
                  " samples x 2 augmented views)");
    const sdk::Features f = ctx.features->extract(req);  // [2, N, D]
    const at::Tensor idx = f.indices.to(bank_.device());
    for (int64_t c = 0; c < 2; ++c) bank_[c].index_copy_(0, idx, nn::l2_normalize(f.values[c].to(bank_.device())));
    written_.index_fill_(0, idx, ctx.epoch - 1);
    // Rank 0's bank for all (hosts whose CPUs round differently would extract slightly apart).
    if (ctx.comm && ctx.comm->world_size() > 1) {
      ctx.comm->broadcast(bank_, 0);
      ctx.comm->broadcast(written_, 0);
    }
  }

  void cluster(int64_t epoch, sdk::Comm* comm) {
    const at::Tensor rows = (written_ == epoch - 1).nonzero().reshape({-1});
    assignments_.fill_(-1);
    for (size_t h = 0; h < ks_.size(); ++h) {
      nn::KMeansOptions opt;
      opt.k = ks_[h];
      opt.iterations = kmeans_iterations_;
      opt.spherical = true;
      opt.seed = seed_ ^ (uint64_t(epoch) << 20) ^ uint64_t(h);
      const nn::KMeansResult r = nn::kmeans(bank_[int64_t(h % 2)].index_select(0, rows), opt);
      prototypes_[h].copy_(r.centroids);
      std::ostringstream msg;
      msg << "deepcluster_v2: epoch " << epoch + 1 << " head " << h << ": k-means K = " << ks_[h] << " on "
          << rows.size(0) << " rows, " << r.iterations << " iterations, " << r.reseeded
          << " empty cluster(s) re-seeded, mean 1 - cos " << std::fixed << std::setprecision(4)
          << r.inertia / double(std::max<int64_t>(1, rows.size(0)));
      sdk::log_info(msg.str());
      assignments_[int64_t(h)].index_copy_(0, rows, r.assignments);
      // Every rank clustered the same bank; rank 0's result is taken so that they agree bit for bit.
      if (comm && comm->world_size() > 1) {
        comm->broadcast(prototypes_[h], 0);
        at::Tensor a = assignments_[int64_t(h)].contiguous();
        comm->broadcast(a, 0);
        assignments_[int64_t(h)].copy_(a);
      }
    }
    clustered_epoch_.fill_(epoch);
  }

  double temperature_;
  int64_t kmeans_iterations_;
  uint64_t seed_;
  std::vector<int64_t> ks_;
  int64_t uniform_k_ = 2;  // the mean K, rounded: uniform_loss_ref
  at::Tensor bank_, written_, assignments_, clustered_epoch_;
  std::vector<at::Tensor> prototypes_;
};

}  // namespace

void register_deepcluster_v2(sdk::Registrar& r) {
  r.add_method<DeepClusterV2>("deepcluster_v2",
                              "DeepCluster v2: predict each epoch's spherical k-means assignments of a memory bank, multi-crop");
}

}  // namespace ssl::plugins::method_clustering
