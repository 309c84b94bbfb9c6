#include "class_groups.h"

#include <ATen/ATen.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <string>

#include "ssl/sdk/error.h"

namespace ssl::plugins::evaluator_core {

ClassGroups head_and_tail(const std::vector<int64_t>& train_class_counts) {
  std::vector<int64_t> order;  // the classes the training split has
  for (size_t k = 0; k < train_class_counts.size(); ++k)
    if (train_class_counts[k] > 0) order.push_back(static_cast<int64_t>(k));
  const auto c = static_cast<int64_t>(order.size());
  if (c < 2) return {};
  std::stable_sort(order.begin(), order.end(), [&](int64_t a, int64_t b) {
    return train_class_counts[static_cast<size_t>(a)] > train_class_counts[static_cast<size_t>(b)];
  });
  const auto third = static_cast<size_t>((c + 2) / 3);
  ClassGroups g;
  g.head.assign(order.begin(), order.begin() + static_cast<std::ptrdiff_t>(third));
  g.tail.assign(order.end() - static_cast<std::ptrdiff_t>(third), order.end());
  return g;
}

std::vector<double> per_class_accuracy(const at::Tensor& predictions, const at::Tensor& labels, int64_t num_classes) {
  SSL_CHECK(predictions.dim() == 1 && labels.dim() == 1 && predictions.size(0) == labels.size(0),
            "per-class accuracy: predictions and labels must both be [N], got ", predictions.sizes(), " and ",
            labels.sizes());
  const at::Tensor y = labels.to(at::kCPU, at::kLong);
  SSL_CHECK(y.numel() == 0 || (y.min().item<int64_t>() >= 0 && y.max().item<int64_t>() < num_classes),
            "per-class accuracy: labels must lie in [0, ", num_classes, "), got [", y.min().item<int64_t>(), ", ",
            y.max().item<int64_t>(), "]");
  const at::Tensor hit = predictions.to(at::kCPU, at::kLong).eq(y).to(at::kDouble);
  const at::Tensor total = at::zeros({num_classes}, at::kDouble).index_add_(0, y, at::ones_like(hit));
  const at::Tensor right = at::zeros({num_classes}, at::kDouble).index_add_(0, y, hit);
  std::vector<double> out(static_cast<size_t>(num_classes));
  for (int64_t k = 0; k < num_classes; ++k) {
    const double n = total[k].item<double>();
    out[static_cast<size_t>(k)] = n > 0 ? right[k].item<double>() / n : std::numeric_limits<double>::quiet_NaN();
  }
  return out;
}

double group_mean(const std::vector<double>& values, const std::vector<int64_t>& classes) {
  double sum = 0;
  int64_t n = 0;
  for (const int64_t c : classes) {
    if (c < 0 || static_cast<size_t>(c) >= values.size() || std::isnan(values[static_cast<size_t>(c)])) continue;
    sum += values[static_cast<size_t>(c)];
    ++n;
  }
  return n > 0 ? sum / static_cast<double>(n) : std::numeric_limits<double>::quiet_NaN();
}

void add_per_class_key(sdk::Schema& schema) {
  schema.add_bool("per_class", false,
                  "also report each class's accuracy (class<c>/top1, worst_class/top1) and the mean over the head "
                  "and tail classes of the training split (head/top1, tail/top1: the third with the most / fewest "
                  "training images)");
}

void add_per_class_metrics(const at::Tensor& predictions, const at::Tensor& labels, int64_t num_classes,
                           const std::vector<int64_t>& train_class_counts, sdk::EvalResult& out) {
  const std::vector<double> acc = per_class_accuracy(predictions, labels, num_classes);
  double worst = std::numeric_limits<double>::infinity();
  for (size_t c = 0; c < acc.size(); ++c) {
    if (std::isnan(acc[c])) continue;
    out.metrics.emplace_back("class" + std::to_string(c) + "/top1", acc[c]);
    worst = std::min(worst, acc[c]);
  }
  if (std::isfinite(worst)) out.metrics.emplace_back("worst_class/top1", worst);
  const ClassGroups g = head_and_tail(train_class_counts);
  if (g.head.empty()) return;
  for (const auto& [name, classes] : {std::pair<const char*, const std::vector<int64_t>*>{"head/top1", &g.head},
                                      {"tail/top1", &g.tail}})
    if (const double m = group_mean(acc, *classes); !std::isnan(m)) out.metrics.emplace_back(name, m);
}

}  // namespace ssl::plugins::evaluator_core
