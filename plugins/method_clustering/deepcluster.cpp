// DeepCluster (Caron et al. 2018; the official deepcluster code): alternate between
// clustering and classification. At the start of every epoch the backbone features of the
// whole training set (un-augmented, through the evaluation transform) are PCA-whitened
// (nn::fit_pca_whitening, paper: 256 dimensions), L2-normalised and clustered by k-means
// (nn::kmeans, Euclidean on the unit vectors as the paper's faiss, k-means++ seeding). The
// assignments become the epoch's pseudo-labels; a linear classifier on the backbone features,
// re-initialised every epoch (weights N(0, 0.01), bias 0, its optimizer state forgotten:
// the cluster indices of two epochs have nothing to do with each other), is trained with the
// backbone by cross-entropy on one augmented view.
//
// Two things keep it from the trivial solutions the paper names:
// - empty clusters: k-means moves each empty cluster onto the point farthest from its centre
//   (nn::kmeans; the paper instead splits a random non-empty cluster; both keep K clusters in
//   use). `reseed_empty = false` is the ablation.
// - uniform sampling over pseudo-classes: the epoch's samples are drawn with weight 1 / |cluster
//   of i| (EpochContext::sampling_weights), so a giant cluster cannot dominate the classifier's
//   loss and the network cannot win by predicting it. `uniform_sampling = false` is the ablation.
//
// With several processes each rank fits the PCA and k-means on its share of the rows (sums
// all-reduced by nn::fit_pca_whitening and nn::kmeans), the assignments are summed across ranks
// and the host broadcasts rank 0's sampling weights.
//
// Checkpointed state: backbone, classifier, assignments [N], cluster_sizes [K], clustered_epoch
// [1] (the epoch the pseudo-labels belong to: a run resumed mid-epoch keeps them, and with them
// the classifier it trained and the epoch's sampling weights).
#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>
#include <ATen/core/grad_mode.h>
#include <torch/nn/modules/linear.h>

#include <cmath>
#include <iomanip>
#include <sstream>
#include <string>

#include "ssl/nn/clustering_metrics.h"
#include "ssl/nn/contrastive_metrics.h"
#include "ssl/nn/kmeans.h"
#include "ssl/nn/losses.h"
#include "ssl/nn/method_support.h"
#include "ssl/nn/pca.h"
#include "ssl/sdk/comm.h"
#include "ssl/sdk/error.h"
#include "ssl/sdk/features.h"
#include "ssl/sdk/log.h"
#include "ssl/sdk/registrar.h"

namespace ssl::plugins::method_clustering {
namespace {

// Entropy of the batch's mean prediction p [K] over ln K (1: every class equally, 0: one class),
// as a tensor: nn::size_entropy gives the same number as a double, which would cost a host
// sync in every training step.
at::Tensor prediction_entropy(const at::Tensor& p) {
  const at::Tensor h = -(p * p.clamp_min(1e-30).log()).sum();
  return h / std::log(double(p.numel()));
}

class DeepCluster final : public sdk::Method {
 public:
  DeepCluster(const sdk::Config& cfg, const sdk::BuildContext& ctx)
      : k_(cfg.get_int("clusters")), pca_dim_(cfg.get_int("pca_dim")),
        kmeans_iterations_(cfg.get_int("kmeans_iterations")), uniform_sampling_(cfg.get_bool("uniform_sampling")),
        reseed_empty_(cfg.get_bool("reseed_empty")), seed_(ctx.seed) {
    const int64_t n = ctx.train_size;
    SSL_CHECK(n > 0, "method deepcluster needs the training set's size (BuildContext::train_size) for its "
                     "pseudo-labels; the host gave none");
    SSL_CHECK(k_ >= 2 && k_ <= n, "method deepcluster: 'clusters' must be in [2, ", n, "] (the training set's size), got ",
              k_);
    backbone_ = register_module("backbone", nn::build_backbone(ctx, "deepcluster"));
    const int64_t d = backbone_->num_features();
    SSL_CHECK(pca_dim_ <= d, "method deepcluster: pca_dim = ", pca_dim_, " exceeds the backbone's ", d,
              " features (set pca_dim <= ", d, ")");
    classifier_ = register_module("classifier", torch::nn::Linear(d, k_));
    reset_classifier(-1);
    assignments_ = register_buffer("assignments", at::full({n}, -1, at::kLong));
    sizes_ = register_buffer("cluster_sizes", at::zeros({k_}, at::kLong));
    clustered_epoch_ = register_buffer("clustered_epoch", at::full({1}, -1, at::kLong));
  }

  static sdk::Schema schema() {
    sdk::Schema s;
    s.add_int("clusters", 10000, "k-means K, the classifier's classes (paper: 10000 on ImageNet; over-cluster ~10x)")
        .min(2);
    s.add_int("pca_dim", 256, "PCA-whitening dimensions before k-means (paper: 256; at most the backbone's width)")
        .min(1);
    s.add_int("kmeans_iterations", 20, "Lloyd iterations of each epoch's k-means (official code: 20)").range(1, 1000);
    s.add_bool("uniform_sampling", true,
               "draw each epoch's images uniformly over pseudo-classes (false: the plain shuffle, an ablation)");
    s.add_bool("reseed_empty", true, "move empty clusters onto far points (false: leave them empty, an ablation)");
    return s;
  }

  static sdk::ViewSpec views(const sdk::Config&) { return sdk::ViewSpec{1, 1, false}; }

  std::shared_ptr<sdk::Backbone> backbone() const override { return backbone_; }

  // Clusters the training set and re-initialises the classifier (once per epoch: a resumed
  // epoch keeps both); sets the epoch's sampling weights either way.
  void on_epoch_start(sdk::EpochContext& ctx) override {
    at::NoGradGuard no_grad;
    if (clustered_epoch_.item<int64_t>() != ctx.epoch) {
      cluster(ctx);
      reset_classifier(ctx.epoch);
      ctx.reinitialized = {classifier_->weight, classifier_->bias};
    }
    // The epoch's cluster statistics, logged with every step.
    size_entropy_ = at::scalar_tensor(nn::size_entropy(sizes_));
    largest_share_ = at::scalar_tensor(sizes_.max().item<double>() / double(assignments_.size(0)));
    if (uniform_sampling_) {
      // 1 / |cluster of i|: every non-empty cluster is drawn equally often.
      const at::Tensor a = assignments_.clamp_min(0);
      const at::Tensor w = 1.0 / sizes_.to(at::kDouble).index_select(0, a).clamp_min(1);
      ctx.sampling_weights = at::where(assignments_ >= 0, w, at::zeros_like(w));
    }
  }

  // views: one augmented view -> cross-entropy of the classifier to the pseudo-labels; metrics
  // loss, uniform_loss_ref (ln K), pseudo_accuracy, prediction_entropy (of the batch's mean
  // prediction, normalised: 0 when it predicts one class for all), cluster_size_entropy and
  // largest_cluster (share of the training set in the largest cluster, this epoch).
  sdk::StepOutput training_step(const sdk::Batch& batch, const sdk::StepInfo&) override {
    SSL_CHECK(batch.views.size() == 1, "method deepcluster takes 1 view, got ", batch.views.size());
    SSL_CHECK(batch.indices.defined() && batch.indices.numel() == batch.views[0].size(0),
              "method deepcluster needs Batch::indices (dataset positions) for its pseudo-labels");
    const at::Tensor idx = batch.indices.to(assignments_.device());
    SSL_CHECK(!at::logical_or(idx < 0, idx >= assignments_.size(0)).any().item<bool>(),
              "method deepcluster: a batch index lies outside the training set of ", assignments_.size(0), " samples");
    const at::Tensor targets = assignments_.index_select(0, idx);
    const at::Tensor logits = classifier_->forward(backbone_->forward(batch.views[0]));
    const at::Tensor count = (targets >= 0).sum().clamp_min(1).to(at::kFloat);
    sdk::StepOutput out;
    out.loss = at::cross_entropy_loss(logits, targets, {}, at::Reduction::Sum, -1) / count;
    const at::Tensor d = logits.detach();
    const at::Tensor mean_prediction = d.softmax(1).mean(0);
    out.metrics = {{"loss", out.loss.detach()},
                   {sdk::metric::kUniformLossRef, nn::uniform_loss_ref(k_)},
                   {"pseudo_accuracy", (d.argmax(1) == targets).to(at::kFloat).mean()},
                   {"prediction_entropy", prediction_entropy(mean_prediction)},
                   {"cluster_size_entropy", size_entropy_},
                   {"largest_cluster", largest_share_}};
    return out;
  }

 private:
  // N(0, 0.01) weights, zero bias, from a generator seeded by (seed, epoch): a run resumed at
  // an epoch boundary draws the same classifier as one that was never stopped.
  void reset_classifier(int64_t epoch) {
    at::NoGradGuard no_grad;
    at::Generator gen = at::detail::createCPUGenerator(seed_ ^ 0xdc1ULL ^ (uint64_t(epoch + 1) << 24));
    classifier_->weight.copy_(at::normal(0.0, 0.01, classifier_->weight.sizes(), gen, at::TensorOptions(at::kFloat)));
    classifier_->bias.zero_();
  }

  void cluster(const sdk::EpochContext& ctx) {
    SSL_CHECK(ctx.features != nullptr, "method deepcluster: the host gave no feature source to cluster the training set");
    sdk::FeatureRequest req;
    req.split = sdk::Split::Train;
    req.representation = sdk::Representation::Backbone;
    req.seed = seed_;
    const sdk::Features f = ctx.features->extract(req);
    const int64_t n = assignments_.size(0);
    SSL_CHECK(f.values.dim() == 2 && f.values.size(0) == n, "method deepcluster: the feature source returned ",
              f.values.sizes(), " for a training set of ", n, " samples");
    // This rank's share of the rows; every row is some rank's.
    const int64_t world = ctx.comm ? ctx.comm->world_size() : 1, rank = ctx.comm ? ctx.comm->rank() : 0;
    const at::Tensor all = f.indices.to(assignments_.device());
    const at::Tensor mine = (all.remainder(world) == rank).nonzero().reshape({-1});
    const at::Tensor x = f.values.to(assignments_.device()).index_select(0, mine);
    const nn::PcaWhitening pca = nn::fit_pca_whitening(x, pca_dim_, ctx.comm);
    nn::KMeansOptions opt;
    opt.k = k_;
    opt.iterations = kmeans_iterations_;
    opt.seed = seed_ ^ (uint64_t(ctx.epoch) << 20);
    opt.comm = ctx.comm;
    opt.reseed_empty = reseed_empty_;
    const nn::KMeansResult r = nn::kmeans(nn::l2_normalize(pca.apply(x)), opt);
    at::Tensor a = at::zeros({n}, at::kLong).to(assignments_.device());
    a.index_copy_(0, all.index_select(0, mine), r.assignments + 1);
    if (ctx.comm && world > 1) ctx.comm->all_reduce_sum(a);
    assignments_.copy_(a - 1);
    sizes_.copy_(r.counts);
    clustered_epoch_.fill_(ctx.epoch);
    std::ostringstream msg;
    msg << "deepcluster: epoch " << ctx.epoch + 1 << ": k-means K = " << k_ << " on " << n << " features (PCA "
        << pca_dim_ << "), " << r.iterations << " iterations, " << (r.counts > 0).sum().item<int64_t>()
        << " non-empty, " << r.reseeded << " re-seeded, largest cluster " << std::fixed << std::setprecision(3)
        << r.counts.max().item<double>() / double(n) << " of the data, size entropy "
        << nn::size_entropy(r.counts);
    sdk::log_info(msg.str());
  }

  int64_t k_, pca_dim_, kmeans_iterations_;
  bool uniform_sampling_, reseed_empty_;
  uint64_t seed_;
  std::shared_ptr<sdk::Backbone> backbone_;
  torch::nn::Linear classifier_{nullptr};
  at::Tensor assignments_, sizes_, clustered_epoch_;
  at::Tensor size_entropy_ = at::scalar_tensor(0.0), largest_share_ = at::scalar_tensor(0.0);  // of sizes_
};

}  // namespace

void register_deepcluster(sdk::Registrar& r) {
  r.add_method<DeepCluster>("deepcluster",
                            "DeepCluster: each epoch's k-means of PCA-whitened features as pseudo-labels for a fresh "
                            "classifier, sampled uniformly over clusters");
}

}  // namespace ssl::plugins::method_clustering
