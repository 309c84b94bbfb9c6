#include "ssl/nn/kmeans.h"

#include <ATen/ATen.h>

#include <algorithm>
#include <vector>

#include "ssl/sdk/comm.h"
#include "ssl/sdk/error.h"
#include "ssl/sdk/rng.h"

namespace ssl::nn {

namespace {

void all_sum(sdk::Comm* comm, at::Tensor& t) {
  if (comm && comm->world_size() > 1) comm->all_reduce_sum(t);
}

at::Tensor prepare(const at::Tensor& x, bool spherical) {
  at::Tensor f = x.reshape({x.size(0), -1}).to(at::kFloat).contiguous();
  return spherical ? f / f.norm(2, {1}, true).clamp_min(1e-12) : f;
}

// [n, K]: squared Euclidean distances, or 1 - cosine when spherical (rows already unit).
at::Tensor distances(const at::Tensor& x, const at::Tensor& c, bool spherical) {
  const at::Tensor dot = at::matmul(x, c.t());
  if (spherical) return 1.0 - dot;
  return (x.pow(2).sum(1, true) - 2.0 * dot + c.pow(2).sum(1).unsqueeze(0)).clamp_min(0.0);
}

// The nearest centre of every row and its distance, chunk by chunk.
std::pair<at::Tensor, at::Tensor> nearest(const at::Tensor& x, const at::Tensor& c, bool spherical, int64_t chunk) {
  std::vector<at::Tensor> which, dist;
  for (int64_t s = 0; s < x.size(0); s += chunk) {
    const auto m = distances(x.slice(0, s, std::min(x.size(0), s + chunk)), c, spherical).min(1);
    dist.push_back(std::get<0>(m));
    which.push_back(std::get<1>(m));
  }
  return {at::cat(which), at::cat(dist)};
}

// k-means++ on one process's points: [k, D].
at::Tensor seed_centres(const at::Tensor& x, int64_t k, uint64_t seed, bool spherical) {
  const int64_t n = x.size(0);
  SSL_CHECK(n >= k, "k-means: ", k, " clusters need at least ", k, " points on the seeding process, it has ", n);
  sdk::Rng rng(seed ^ 0x6b6d65616e73ULL);
  std::vector<int64_t> chosen{rng.randint(0, n)};
  at::Tensor best = distances(x, x[chosen[0]].unsqueeze(0), spherical).reshape({-1});
  while (static_cast<int64_t>(chosen.size()) < k) {
    const at::Tensor w = best.to(at::kCPU, at::kDouble).clamp_min(0.0).cumsum(0).contiguous();
    const double* cum = w.data_ptr<double>();
    const double total = cum[n - 1];
    int64_t next;
    if (total > 0.0) {
      const double u = rng.uniform() * total;
      next = std::min<int64_t>(n - 1, std::upper_bound(cum, cum + n, u) - cum);
    } else {  // every point sits on a chosen centre: any point will do
      next = rng.randint(0, n);
    }
    chosen.push_back(next);
    best = at::minimum(best, distances(x, x[next].unsqueeze(0), spherical).reshape({-1}));
  }
  return x.index_select(0, at::tensor(chosen, at::kLong).to(x.device())).clone();
}

}  // namespace

at::Tensor assign_to_centroids(const at::Tensor& x, const at::Tensor& centroids, bool spherical, int64_t chunk) {
  const at::Tensor f = prepare(x, spherical);
  at::Tensor c = centroids.to(f.device(), at::kFloat);
  if (spherical) c = c / c.norm(2, {1}, true).clamp_min(1e-12);
  return nearest(f, c, spherical, std::max<int64_t>(1, chunk)).first;
}

KMeansResult kmeans(const at::Tensor& input, const KMeansOptions& o) {
  SSL_CHECK(o.k >= 1, "k-means: k must be at least 1, got ", o.k);
  SSL_CHECK(input.dim() >= 2 && input.size(0) >= 1, "k-means needs points [N, D] with N >= 1, got ", input.sizes());
  const at::Tensor x = prepare(input, o.spherical);
  const int64_t chunk = std::max<int64_t>(1, o.chunk);
  const bool distributed = o.comm && o.comm->world_size() > 1;
  const int64_t rank = o.comm ? o.comm->rank() : 0;

  at::Tensor centres;
  if (o.init.defined()) {
    SSL_CHECK(o.init.dim() == 2 && o.init.size(0) == o.k && o.init.size(1) == x.size(1), "k-means: init must be [", o.k,
              ", ", x.size(1), "], got ", o.init.sizes());
    centres = o.init.to(x.device(), at::kFloat).contiguous();
    if (o.spherical) centres = centres / centres.norm(2, {1}, true).clamp_min(1e-12);
  } else {
    centres = rank == 0 ? seed_centres(x, o.k, o.seed, o.spherical) : at::zeros({o.k, x.size(1)}, x.options());
    if (distributed) o.comm->broadcast(centres, 0);
  }

  KMeansResult r;
  at::Tensor assign = at::full({x.size(0)}, -1, x.options().dtype(at::kLong));
  for (int64_t it = 0; it < std::max<int64_t>(1, o.iterations); ++it) {
    auto [which, dist] = nearest(x, centres, o.spherical, chunk);
    at::Tensor changed = (which != assign).sum().to(at::kDouble).reshape({1});
    all_sum(o.comm, changed);
    assign = which;
    ++r.iterations;
    if (changed.item<double>() == 0.0 && it > 0) break;

    at::Tensor sums = at::zeros({o.k, x.size(1)}, x.options().dtype(at::kDouble));
    sums.index_add_(0, assign, x.to(at::kDouble));
    at::Tensor counts = at::zeros({o.k}, x.options().dtype(at::kDouble));
    counts.index_add_(0, assign, at::ones({x.size(0)}, counts.options()));
    all_sum(o.comm, sums);
    all_sum(o.comm, counts);

    // Empty clusters take the points farthest from their centres (over all processes).
    const at::Tensor empty = (counts == 0).nonzero().reshape({-1}).to(at::kCPU);
    if (empty.numel() > 0 && o.reseed_empty) {
      const int64_t e = empty.numel();
      const int64_t take = std::min<int64_t>(e, x.size(0));
      const auto far = dist.topk(take);
      at::Tensor cand_d = at::full({e}, -1.0, x.options().dtype(at::kDouble));
      at::Tensor cand_x = at::zeros({e, x.size(1)}, x.options());
      cand_d.slice(0, 0, take).copy_(std::get<0>(far));
      cand_x.slice(0, 0, take).copy_(x.index_select(0, std::get<1>(far)));
      if (distributed) {
        cand_d = o.comm->all_gather(cand_d);
        cand_x = o.comm->all_gather(cand_x);
      }
      // stable sort: equal distances keep rank order, then index order
      const at::Tensor order = std::get<1>(cand_d.to(at::kCPU).sort(/*stable=*/true, 0, /*descending=*/true));
      for (int64_t j = 0; j < e; ++j) {
        const int64_t cl = empty[j].item<int64_t>();
        sums[cl] = cand_x[order[j].item<int64_t>()].to(at::kDouble);
        counts[cl] = 1.0;
      }
      r.reseeded += e;
    }
    // An empty cluster left empty keeps its centre.
    at::Tensor next = at::where((counts > 0).unsqueeze(1), sums / counts.clamp_min(1).unsqueeze(1),
                                centres.to(at::kDouble)).to(at::kFloat);
    if (o.spherical) next = next / next.norm(2, {1}, true).clamp_min(1e-12);
    centres = next;
  }
  auto [which, dist] = nearest(x, centres, o.spherical, chunk);
  r.assignments = which;
  at::Tensor counts = at::zeros({o.k}, x.options().dtype(at::kDouble));
  counts.index_add_(0, which, at::ones({x.size(0)}, counts.options()));
  at::Tensor inertia = dist.to(at::kDouble).sum().reshape({1});
  all_sum(o.comm, counts);
  all_sum(o.comm, inertia);
  r.centroids = centres;
  r.counts = counts.to(at::kLong);
  r.inertia = inertia.item<double>();
  return r;
}

}  // namespace ssl::nn
