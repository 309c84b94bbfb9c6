// The `open_set` evaluator: how a domain-adaptation classifier does on the labelled target test
// data when the target holds classes the source never had. It reads the method's class
// probabilities (Representation::Predictions: dance, source_only) and, like DANCE, rejects a
// sample as "unknown" when their entropy exceeds rho = threshold_scale * ln K (K source classes).
#include "open_set.h"

#include <ATen/ATen.h>

#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "feature_utils.h"
#include "ssl/sdk/error.h"
#include "ssl/sdk/evaluator.h"
#include "ssl/sdk/registrar.h"

namespace ssl::plugins::evaluator_core {

OpenSetScores open_set_scores(const at::Tensor& probabilities, const at::Tensor& class_ids, const at::Tensor& labels,
                              double threshold) {
  SSL_CHECK(probabilities.dim() == 2 && class_ids.dim() == 1 && probabilities.size(1) == class_ids.size(0) &&
                labels.dim() == 1 && labels.size(0) == probabilities.size(0),
            "open_set: probabilities ", probabilities.sizes(), ", class ids ", class_ids.sizes(), " and labels ",
            labels.sizes(), " do not fit together");
  const at::Tensor p = probabilities.to(at::kCPU, at::kDouble);
  const at::Tensor ids = class_ids.to(at::kCPU, at::kLong).contiguous();
  const at::Tensor y = labels.to(at::kCPU, at::kLong).contiguous();
  const at::Tensor entropy = -(p * at::log(p.clamp_min(1e-12))).sum(1);
  const at::Tensor rejected = (entropy > threshold).contiguous();
  const at::Tensor predicted = ids.index_select(0, p.argmax(1)).contiguous();

  const int64_t* yp = y.data_ptr<int64_t>();
  const int64_t* pp = predicted.data_ptr<int64_t>();
  const bool* rp = rejected.data_ptr<bool>();
  const int64_t* ip = ids.data_ptr<int64_t>();
  const int64_t k = ids.size(0);
  std::vector<int64_t> count(static_cast<size_t>(k), 0), correct(static_cast<size_t>(k), 0),
      closed(static_cast<size_t>(k), 0);
  OpenSetScores s;
  int64_t unknown_hit = 0, known_rejected = 0;
  for (int64_t i = 0; i < y.size(0); ++i) {
    int64_t column = -1;
    for (int64_t c = 0; c < k && column < 0; ++c)
      if (ip[c] == yp[i]) column = c;
    if (column < 0) {
      ++s.unknown_samples;
      unknown_hit += rp[i] ? 1 : 0;
      continue;
    }
    ++s.known_samples;
    ++count[static_cast<size_t>(column)];
    const bool right = pp[i] == yp[i];
    closed[static_cast<size_t>(column)] += right ? 1 : 0;
    correct[static_cast<size_t>(column)] += right && !rp[i] ? 1 : 0;
    known_rejected += rp[i] ? 1 : 0;
  }
  const double nan = std::numeric_limits<double>::quiet_NaN();
  double known = 0, closed_sum = 0;
  int64_t classes = 0;
  for (int64_t c = 0; c < k; ++c) {
    if (count[static_cast<size_t>(c)] == 0) continue;
    known += double(correct[static_cast<size_t>(c)]) / double(count[static_cast<size_t>(c)]);
    closed_sum += double(closed[static_cast<size_t>(c)]) / double(count[static_cast<size_t>(c)]);
    ++classes;
  }
  s.known_acc = classes > 0 ? known / double(classes) : nan;
  s.closed_acc = classes > 0 ? closed_sum / double(classes) : nan;
  s.false_unknown = s.known_samples > 0 ? double(known_rejected) / double(s.known_samples) : nan;
  s.unknown_recall = s.unknown_samples > 0 ? double(unknown_hit) / double(s.unknown_samples) : nan;
  if (std::isnan(s.known_acc) || std::isnan(s.unknown_recall)) s.h_score = nan;
  else if (s.known_acc + s.unknown_recall == 0) s.h_score = 0;
  else s.h_score = 2 * s.known_acc * s.unknown_recall / (s.known_acc + s.unknown_recall);
  return s;
}

namespace {

class OpenSetEvaluator final : public sdk::Evaluator {
 public:
  OpenSetEvaluator(const sdk::Config& config, const sdk::BuildContext&)
      : split_(config.get_string("split") == "train" ? sdk::Split::Train : sdk::Split::Test),
        max_samples_(config.get_int("max_samples")),
        threshold_scale_(config.get_float("threshold_scale")) {}

  static sdk::Schema schema() {
    sdk::Schema s;
    s.add_string("split", "test", "labelled target split scored (test: [data.test])").choices({"train", "test"});
    s.add_int("max_samples", 0, "seeded subset of the split (0: all)").min(0);
    s.add_float("threshold_scale", 0.5, "a sample is unknown when its entropy exceeds threshold_scale * ln K")
        .greater_than(0)
        .max(1);
    return s;
  }

  // Metrics known_acc, closed_acc, false_unknown, unknown_recall and h_score (the last two only
  // when the split holds target-private samples), known_samples, unknown_samples.
  sdk::EvalResult evaluate(sdk::EvalContext& ctx) override {
    sdk::FeatureRequest request;
    request.split = split_;
    request.representation = sdk::Representation::Predictions;
    request.max_samples = max_samples_;
    request.seed = ctx.seed;
    const sdk::Features f = extract_split(ctx, request, "open_set");
    SSL_CHECK(f.class_ids.defined() && f.class_ids.numel() >= 2,
              "open_set needs the predictions of a classifier over at least 2 classes");
    const at::Tensor keep = (f.labels >= 0).nonzero().reshape({-1});
    SSL_CHECK(keep.numel() > 0, "open_set needs labelled samples, but the ", sdk::split_name(split_),
              " split has none");
    const double threshold = threshold_scale_ * std::log(double(f.class_ids.numel()));
    const OpenSetScores s =
        open_set_scores(f.values.index_select(0, keep), f.class_ids, f.labels.index_select(0, keep), threshold);
    sdk::EvalResult out;
    out.metrics = {{"known_acc", s.known_acc},
                   {"closed_acc", s.closed_acc},
                   {"false_unknown", s.false_unknown},
                   {"known_samples", double(s.known_samples)},
                   {"unknown_samples", double(s.unknown_samples)}};
    if (s.unknown_samples > 0) {
      out.metrics.emplace_back("unknown_recall", s.unknown_recall);
      out.metrics.emplace_back("h_score", s.h_score);
    }
    return out;
  }

 private:
  sdk::Split split_;
  int64_t max_samples_;
  double threshold_scale_;
};

}  // namespace

void register_open_set(sdk::Registrar& r) {
  r.add_evaluator<OpenSetEvaluator>(
      "open_set", "open-set scores of a classifier on labelled target data: known accuracy, unknown recall, H-score");
}

}  // namespace ssl::plugins::evaluator_core
