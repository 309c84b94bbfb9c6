#include "ssl/nn/clustering_metrics.h"

#include <ATen/ATen.h>
#include <ATen/core/grad_mode.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>

#include "ssl/sdk/error.h"

namespace ssl::nn {

namespace {
double choose2(double n) { return n * (n - 1.0) / 2.0; }

double entropy_of(const std::vector<double>& counts, double total) {
  double h = 0.0;
  for (double c : counts)
    if (c > 0) h -= c / total * std::log(c / total);
  return h;
}
}  // namespace

std::vector<int64_t> max_weight_matching(const std::vector<std::vector<double>>& weight) {
  const size_t rows = weight.size(), cols = rows ? weight[0].size() : 0;
  std::vector<int64_t> result(rows, -1);
  if (rows == 0 || cols == 0) return result;
  const size_t n = std::max(rows, cols);
  double top = 0.0;
  for (const auto& r : weight) {
    SSL_CHECK(r.size() == cols, "max_weight_matching: rows of different lengths");
    for (double w : r) top = std::max(top, w);
  }
  // Minimum cost on the square matrix cost = top - weight (padding: weight 0), 1-indexed.
  auto cost = [&](size_t i, size_t j) { return top - (i <= rows && j <= cols ? weight[i - 1][j - 1] : 0.0); };
  const double inf = std::numeric_limits<double>::infinity();
  std::vector<double> u(n + 1, 0.0), v(n + 1, 0.0);
  std::vector<size_t> p(n + 1, 0), way(n + 1, 0);
  for (size_t i = 1; i <= n; ++i) {
    p[0] = i;
    size_t j0 = 0;
    std::vector<double> minv(n + 1, inf);
    std::vector<bool> used(n + 1, false);
    do {
      used[j0] = true;
      const size_t i0 = p[j0];
      double delta = inf;
      size_t j1 = 0;
      for (size_t j = 1; j <= n; ++j) {
        if (used[j]) continue;
        const double cur = cost(i0, j) - u[i0] - v[j];
        if (cur < minv[j]) minv[j] = cur, way[j] = j0;
        if (minv[j] < delta) delta = minv[j], j1 = j;
      }
      for (size_t j = 0; j <= n; ++j) {
        if (used[j]) u[p[j]] += delta, v[j] -= delta;
        else minv[j] -= delta;
      }
      j0 = j1;
    } while (p[j0] != 0);
    do {
      const size_t j1 = way[j0];
      p[j0] = p[j1];
      j0 = j1;
    } while (j0 != 0);
  }
  for (size_t j = 1; j <= n; ++j)
    if (p[j] >= 1 && p[j] <= rows && j <= cols) result[p[j] - 1] = static_cast<int64_t>(j - 1);
  return result;
}

double size_entropy(const at::Tensor& counts) {
  const at::Tensor c = counts.to(at::kCPU, at::kDouble).contiguous();
  const int64_t k = c.numel();
  if (k < 2) return 0.0;
  const std::vector<double> v(c.data_ptr<double>(), c.data_ptr<double>() + k);
  double total = 0.0;
  for (double x : v) total += x;
  return total > 0 ? entropy_of(v, total) / std::log(double(k)) : 0.0;
}

at::Tensor assignment_entropy(const at::Tensor& scores) {
  SSL_CHECK(scores.dim() == 2 && scores.size(0) >= 1 && scores.size(1) >= 1,
            "assignment_entropy: scores must be [N, K], got ", scores.sizes());
  at::NoGradGuard no_grad;
  const int64_t n = scores.size(0), k = scores.size(1);
  if (std::min(n, k) < 2) return at::zeros({}, scores.options().dtype(at::kFloat));
  const at::Tensor counts = at::bincount(scores.detach().argmax(1), {}, k).to(at::kFloat);
  const at::Tensor p = counts / double(n);
  return -(p * p.clamp_min(1e-12).log()).sum() / std::log(double(std::min(n, k)));
}

ClusteringScores clustering_scores(const at::Tensor& clusters, const at::Tensor& labels, int64_t num_clusters) {
  SSL_CHECK(clusters.numel() == labels.numel(), "clustering_scores: ", clusters.numel(), " cluster ids but ",
            labels.numel(), " labels");
  const at::Tensor cl = clusters.reshape({-1}).to(at::kCPU, at::kLong).contiguous();
  const at::Tensor lb = labels.reshape({-1}).to(at::kCPU, at::kLong).contiguous();
  const int64_t* c = cl.data_ptr<int64_t>();
  const int64_t* l = lb.data_ptr<int64_t>();
  int64_t k = num_clusters, classes = 0, n = 0;
  for (int64_t i = 0; i < cl.numel(); ++i) {
    SSL_CHECK(c[i] >= 0, "clustering_scores: negative cluster id ", c[i]);
    k = std::max(k, c[i] + 1);
    if (l[i] >= 0) classes = std::max(classes, l[i] + 1), ++n;
  }
  ClusteringScores s;
  std::vector<double> sizes(static_cast<size_t>(k), 0.0);
  for (int64_t i = 0; i < cl.numel(); ++i) sizes[size_t(c[i])] += 1.0;
  s.size_entropy = size_entropy(at::tensor(sizes, at::kDouble));
  if (n == 0) return s;

  std::vector<std::vector<double>> table(size_t(classes), std::vector<double>(size_t(k), 0.0));  // [class][cluster]
  for (int64_t i = 0; i < cl.numel(); ++i)
    if (l[i] >= 0) table[size_t(l[i])][size_t(c[i])] += 1.0;
  std::vector<double> a(size_t(classes), 0.0), b(size_t(k), 0.0);
  for (size_t i = 0; i < table.size(); ++i)
    for (size_t j = 0; j < table[i].size(); ++j) a[i] += table[i][j], b[j] += table[i][j];
  const double N = double(n);

  double mi = 0.0, index = 0.0;
  for (size_t i = 0; i < table.size(); ++i)
    for (size_t j = 0; j < table[i].size(); ++j) {
      const double nij = table[i][j];
      if (nij > 0) mi += nij / N * std::log(N * nij / (a[i] * b[j]));
      index += choose2(nij);
    }
  const double hu = entropy_of(a, N), hv = entropy_of(b, N);
  s.nmi = (hu + hv) > 0 ? std::clamp(mi / ((hu + hv) / 2.0), 0.0, 1.0) : 1.0;

  double sa = 0.0, sb = 0.0;
  for (double x : a) sa += choose2(x);
  for (double x : b) sb += choose2(x);
  const double expected = N > 1 ? sa * sb / choose2(N) : 0.0, top = (sa + sb) / 2.0;
  s.ari = top != expected ? (index - expected) / (top - expected) : 1.0;

  // clusters -> classes, one to one, maximising the points matched
  std::vector<std::vector<double>> by_cluster(size_t(k), std::vector<double>(size_t(classes), 0.0));
  for (size_t i = 0; i < table.size(); ++i)
    for (size_t j = 0; j < table[i].size(); ++j) by_cluster[j][i] = table[i][j];
  const auto match = max_weight_matching(by_cluster);
  double hit = 0.0;
  for (size_t j = 0; j < match.size(); ++j)
    if (match[j] >= 0) hit += by_cluster[j][size_t(match[j])];
  s.accuracy = hit / N;
  return s;
}

}  // namespace ssl::nn
