#include "knn.h"

#include <ATen/ATen.h>

#include <algorithm>
#include <functional>
#include <utility>

#include "class_groups.h"
#include "feature_utils.h"
#include "ssl/nn/losses.h"
#include "ssl/sdk/error.h"
#include "ssl/sdk/evaluator.h"
#include "ssl/sdk/features.h"
#include "ssl/sdk/registrar.h"

namespace ssl::plugins::evaluator_core {
namespace {

void check_inputs(const at::Tensor& bank, const at::Tensor& bank_labels, const at::Tensor& queries, int64_t num_classes,
                  const KnnOptions& options) {
  SSL_CHECK(bank.dim() == 2 && bank.size(0) > 0, "knn: bank must be [N, D] with N > 0, got ", bank.sizes());
  SSL_CHECK(queries.dim() == 2 && queries.size(1) == bank.size(1), "knn: queries must be [N, ", bank.size(1), "], got ",
            queries.sizes());
  SSL_CHECK(bank_labels.dim() == 1 && bank_labels.size(0) == bank.size(0), "knn: bank labels must be [", bank.size(0),
            "], got ", bank_labels.sizes());
  SSL_CHECK(num_classes >= 1, "knn: num_classes must be >= 1, got ", num_classes);
  SSL_CHECK(bank_labels.min().item<int64_t>() >= 0 && bank_labels.max().item<int64_t>() < num_classes,
            "knn: bank labels must lie in [0, ", num_classes, ")");
  SSL_CHECK(options.k >= 1, "knn: k must be >= 1, got ", options.k);
  SSL_CHECK(options.temperature > 0, "knn: temperature must be > 0, got ", options.temperature);
  SSL_CHECK(options.chunk_size >= 1, "knn: chunk_size must be >= 1, got ", options.chunk_size);
}

// Runs `fn(start, scores [B, C])` for each chunk of queries, on the bank's device.
void for_each_chunk(const at::Tensor& bank, const at::Tensor& bank_labels, const at::Tensor& queries,
                    int64_t num_classes, const KnnOptions& options,
                    const std::function<void(int64_t, const at::Tensor&)>& fn) {
  check_inputs(bank, bank_labels, queries, num_classes, options);
  const at::Tensor b = nn::l2_normalize(bank.to(at::kFloat));
  const at::Tensor bt = b.t().contiguous();  // [D, Nb]
  const at::Tensor labels = bank_labels.to(b.device(), at::kLong);
  const int64_t k = std::min(options.k, b.size(0));
  for (int64_t start = 0; start < queries.size(0); start += options.chunk_size) {
    sdk::throw_if_stopped(options.stop);
    const int64_t len = std::min(options.chunk_size, queries.size(0) - start);
    const at::Tensor q = nn::l2_normalize(queries.narrow(0, start, len).to(b.device(), at::kFloat));
    const auto top = at::matmul(q, bt).topk(k, /*dim=*/1);  // values, indices: [B, k]
    const at::Tensor weights = (std::get<0>(top) / options.temperature).exp();
    const at::Tensor neighbour_labels = labels.index_select(0, std::get<1>(top).reshape({-1})).reshape({len, k});
    at::Tensor scores = at::zeros({len, num_classes}, weights.options());
    scores.scatter_add_(1, neighbour_labels, weights);
    fn(start, scores);
  }
}

}  // namespace

at::Tensor knn_scores(const at::Tensor& bank, const at::Tensor& bank_labels, const at::Tensor& queries,
                      int64_t num_classes, const KnnOptions& options) {
  at::Tensor out = at::empty({queries.size(0), num_classes}, at::TensorOptions().dtype(at::kFloat));
  for_each_chunk(bank, bank_labels, queries, num_classes, options, [&](int64_t start, const at::Tensor& scores) {
    out.narrow(0, start, scores.size(0)).copy_(scores.to(at::kCPU));
  });
  return out;
}

KnnAccuracy knn_accuracy(const at::Tensor& bank, const at::Tensor& bank_labels, const at::Tensor& queries,
                         const at::Tensor& query_labels, int64_t num_classes, const KnnOptions& options) {
  SSL_CHECK(query_labels.dim() == 1 && query_labels.size(0) == queries.size(0), "knn: query labels must be [",
            queries.size(0), "], got ", query_labels.sizes());
  SSL_CHECK(queries.size(0) > 0, "knn: no queries to score");
  const at::Tensor targets = query_labels.to(bank.device(), at::kLong);
  const int64_t top_n = std::min<int64_t>(5, num_classes);
  at::Tensor correct1 = at::zeros({}, targets.options());
  at::Tensor correct5 = at::zeros({}, targets.options());
  at::Tensor predictions = at::empty({queries.size(0)}, at::TensorOptions().dtype(at::kLong));
  for_each_chunk(bank, bank_labels, queries, num_classes, options, [&](int64_t start, const at::Tensor& scores) {
    const at::Tensor y = targets.narrow(0, start, scores.size(0)).unsqueeze(1);
    const at::Tensor top = std::get<1>(scores.topk(top_n, 1));  // [B, n]
    const at::Tensor hits = top.eq(y);
    correct1 += hits.select(1, 0).sum();
    correct5 += hits.any(1).sum();
    predictions.narrow(0, start, scores.size(0)).copy_(top.select(1, 0).to(at::kCPU));
  });
  const double n = static_cast<double>(queries.size(0));
  return {correct1.item<double>() / n, correct5.item<double>() / n, predictions};
}

namespace {

// The `knn` evaluator: metrics top1, top5.
class KnnEvaluator final : public sdk::Evaluator {
 public:
  KnnEvaluator(const sdk::Config& config, const sdk::BuildContext&)
      : subset_(config), per_class_(config.get_bool("per_class")) {
    options_.k = config.get_int("k");
    options_.temperature = config.get_float("temperature");
    options_.chunk_size = config.get_int("chunk_size");
  }

  static sdk::Schema schema() {
    sdk::Schema s;
    s.add_int("k", 200, "neighbours that vote (Wu et al. 2018 / lightly: 200; DINO also reports 20)").min(1);
    s.add_float("temperature", 0.1, "vote weight exp(sim / T) (lightly: 0.1; Wu et al. 2018, DINO: 0.07)")
        .greater_than(0);
    s.add_int("chunk_size", 1024, "test queries scored at once (memory: chunk_size x train size)").min(1);
    TrainTestSubset::add_keys(s, "train samples in the bank (0: all; else a seeded subset)");
    add_per_class_key(s);
    return s;
  }

  sdk::EvalResult evaluate(sdk::EvalContext& ctx) override {
    const TrainTestFeatures data = subset_.features(ctx, "knn");
    KnnOptions options = options_;
    options.stop = ctx.stop;
    const KnnAccuracy acc = knn_accuracy(data.train.values.to(ctx.device), data.train.labels.to(ctx.device),
                                         data.test.values, data.test.labels, data.num_classes, options);
    sdk::EvalResult out{{{"top1", acc.top1}, {"top5", acc.top5}}};
    if (per_class_) add_per_class_metrics(acc.predictions, data.test.labels, data.num_classes, ctx.train_class_counts, out);
    return out;
  }

 private:
  KnnOptions options_;
  TrainTestSubset subset_;
  bool per_class_;
};

}  // namespace

void register_knn(sdk::Registrar& r) {
  r.add_evaluator<KnnEvaluator>("knn", "weighted kNN top-1/top-5 on backbone features (Wu et al. 2018)");
}

}  // namespace ssl::plugins::evaluator_core
