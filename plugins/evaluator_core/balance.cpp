// The `balance` evaluator: how evenly the feature space serves the classes, on a labelled split
// (by default the test split, balanced on Fashion-MNIST and CIFAR). A long-tailed training set
// can leave its rare classes with weak features: smaller norms, means crowded against their
// neighbours, wide clusters. These numbers say whether it did (Liu et al. 2022 argue that
// self-supervised features stay balanced where supervised ones do not).
#include <ATen/ATen.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "class_groups.h"
#include "feature_utils.h"
#include "ssl/nn/losses.h"
#include "ssl/sdk/error.h"
#include "ssl/sdk/evaluator.h"
#include "ssl/sdk/registrar.h"

namespace ssl::plugins::evaluator_core {
namespace {

// Coefficient of variation (population std / mean) of the finite values; NaN when none.
double coefficient_of_variation(const std::vector<double>& v) {
  double sum = 0, sq = 0;
  int64_t n = 0;
  for (const double x : v) {
    if (std::isnan(x)) continue;
    sum += x;
    sq += x * x;
    ++n;
  }
  if (n == 0) return std::numeric_limits<double>::quiet_NaN();
  const double mean = sum / double(n);
  return mean != 0 ? std::sqrt(std::max(0.0, sq / double(n) - mean * mean)) / mean : 0.0;
}

class BalanceEvaluator final : public sdk::Evaluator {
 public:
  BalanceEvaluator(const sdk::Config& config, const sdk::BuildContext&)
      : split_(config.get_string("split") == "train" ? sdk::Split::Train : sdk::Split::Test),
        max_samples_(config.get_int("max_samples")) {}

  static sdk::Schema schema() {
    sdk::Schema s;
    s.add_string("split", "test", "labelled split whose backbone features are measured").choices({"train", "test"});
    s.add_int("max_samples", 0, "seeded subset of the split (0: all)").min(0);
    return s;
  }

  sdk::EvalResult evaluate(sdk::EvalContext& ctx) override {
    sdk::FeatureRequest request;
    request.split = split_;
    request.max_samples = max_samples_;
    request.seed = ctx.seed;
    const sdk::Features f = extract_split(ctx, request, "balance");
    SSL_CHECK(f.labels.defined(), "balance needs labels, but the ", sdk::split_name(split_), " split has none");
    const at::Tensor labels_all = f.labels.to(at::kCPU, at::kLong);
    const at::Tensor keep = (labels_all >= 0).nonzero().reshape({-1});
    SSL_CHECK(keep.numel() >= 2, "balance needs labelled samples, but the ", sdk::split_name(split_), " split has ",
              keep.numel());
    const at::Tensor y = labels_all.index_select(0, keep);
    const at::Tensor x = f.values.index_select(0, keep.to(f.values.device())).to(ctx.device, at::kDouble);
    const int64_t classes = std::max(y.max().item<int64_t>() + 1, static_cast<int64_t>(ctx.train_class_counts.size()));
    const BalanceMeasures m = measure(x, y.to(ctx.device), classes);

    sdk::EvalResult out;
    out.metrics = {{"norm_cv", coefficient_of_variation(m.norm)},
                   {"separation_cv", coefficient_of_variation(m.separation)},
                   {"separability_cv", coefficient_of_variation(m.separability)}};
    double worst = std::numeric_limits<double>::infinity(), sum = 0;
    int64_t n = 0;
    for (const double r : m.separability) {
      if (std::isnan(r)) continue;
      worst = std::min(worst, r);
      sum += r;
      ++n;
    }
    if (n > 0) {
      out.metrics.emplace_back("separability", sum / double(n));
      out.metrics.emplace_back("worst_class/separability", worst);
    }
    const ClassGroups g = head_and_tail(ctx.train_class_counts);
    if (!g.head.empty()) {
      const double head = group_mean(m.separability, g.head), tail = group_mean(m.separability, g.tail);
      out.metrics.emplace_back("head/separability", head);
      out.metrics.emplace_back("tail/separability", tail);
      out.metrics.emplace_back("tail_over_head/separability", tail / head);
      out.metrics.emplace_back("tail_over_head/norm", group_mean(m.norm, g.tail) / group_mean(m.norm, g.head));
    }
    return out;
  }

 private:
  // Per class (NaN for a class without samples, or without a second class to compare with):
  // the mean L2 norm of its raw features; the distance from its mean direction (the mean of the
  // L2-normalised features) to the nearest other class's; that distance over the class's
  // spread (the mean distance of its normalised features to their mean): how far apart a class
  // sits relative to its own width, a per-class Fisher-style ratio.
  struct BalanceMeasures {
    std::vector<double> norm, separation, separability;
  };

  static BalanceMeasures measure(const at::Tensor& x, const at::Tensor& y, int64_t classes) {
    const double nan = std::numeric_limits<double>::quiet_NaN();
    const at::Tensor z = nn::l2_normalize(x);
    const at::Tensor ones = at::ones({x.size(0)}, x.options());
    const at::Tensor count = at::zeros({classes}, x.options()).index_add_(0, y, ones);
    const at::Tensor present = count > 0;
    const at::Tensor safe = count.clamp_min(1);
    const at::Tensor norm = at::zeros({classes}, x.options()).index_add_(0, y, x.norm(2, 1)) / safe;
    const at::Tensor mean = at::zeros({classes, z.size(1)}, x.options()).index_add_(0, y, z) / safe.unsqueeze(1);
    const at::Tensor spread =
        at::zeros({classes}, x.options()).index_add_(0, y, (z - mean.index_select(0, y)).norm(2, 1)) / safe;
    // Distances between class means; absent classes and the diagonal never count as nearest.
    at::Tensor d = at::cdist(mean, mean);
    const at::Tensor excluded = at::eye(classes, x.options().dtype(at::kBool)) | present.logical_not().unsqueeze(0);
    d = d.masked_fill(excluded, std::numeric_limits<double>::infinity());
    const at::Tensor nearest = std::get<0>(d.min(1));
    const at::Tensor n_cpu = norm.cpu(), s_cpu = spread.cpu(), d_cpu = nearest.cpu(), p_cpu = present.cpu();
    BalanceMeasures m;
    for (int64_t c = 0; c < classes; ++c) {
      const bool here = p_cpu[c].item<bool>();
      const double sep = d_cpu[c].item<double>();
      const double width = s_cpu[c].item<double>();
      m.norm.push_back(here ? n_cpu[c].item<double>() : nan);
      m.separation.push_back(here && std::isfinite(sep) ? sep : nan);
      m.separability.push_back(here && std::isfinite(sep) && width > 0 ? sep / width : nan);
    }
    return m;
  }

  sdk::Split split_;
  int64_t max_samples_;
};

}  // namespace

void register_balance(sdk::Registrar& r) {
  r.add_evaluator<BalanceEvaluator>(
      "balance", "how evenly the backbone features serve the classes: per-class norms, class-mean separation");
}

}  // namespace ssl::plugins::evaluator_core
