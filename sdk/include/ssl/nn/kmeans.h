#pragma once
// k-means (Lloyd's algorithm) with k-means++ seeding, for clustering methods (DeepCluster's
// pseudo-labels, DeepCluster v2's prototypes) and the `clustering` evaluator.
//
// - Seeding: k-means++ (Arthur & Vassilvitskii 2007): the first centre uniform, each next one
//   drawn with probability proportional to the squared distance to the nearest centre chosen,
//   from a seeded sdk::Rng, so a seed gives the same clustering on any machine. With a Comm of
//   several processes, rank 0 seeds from its shard and broadcasts the centres.
// - Iterations: distances as ||x||^2 - 2 x.c + ||c||^2 by batched matrix products in chunks on
//   x's device (float32; the centres' sums in float64); per-cluster sums and counts all-reduced,
//   so each process holds a shard of the points and all get the same centres.
// - Empty clusters: each one is moved onto the point farthest from its centre (over all shards;
//   ties to the lower rank, then the lower index) and the counts are kept honest, so K stays K
//   (unless reseed_empty = false).
// - spherical = true: points and centres are L2-normalised, similarity is the dot product
//   (cosine k-means, as DeepCluster v2 clusters normalised projections).
#include <ATen/core/Tensor.h>

#include <cstdint>

#include "ssl/sdk/export.h"

namespace ssl::sdk {
class Comm;
}

namespace ssl::nn {

struct KMeansOptions {
  int64_t k = 10;
  int64_t iterations = 30;   // Lloyd steps at most; it stops early when no assignment changes
  uint64_t seed = 0;
  bool spherical = false;
  int64_t chunk = 4096;      // points whose distances to all centres are computed at once
  sdk::Comm* comm = nullptr; // null: one process
  at::Tensor init;           // [K, D]: start from these centres instead of k-means++ (e.g. last epoch's)
  // false: an empty cluster keeps its centre and stays empty (an ablation: DeepCluster without
  // its empty-cluster policy); counts then show it (reseeded stays 0).
  bool reseed_empty = true;
};

struct KMeansResult {
  at::Tensor centroids;    // [K, D] float32 on x's device (unit rows when spherical)
  at::Tensor assignments;  // [N] int64: this process's points
  at::Tensor counts;       // [K] int64: points per cluster over all processes
  int64_t iterations = 0;  // Lloyd steps run
  int64_t reseeded = 0;    // empty clusters moved onto far points, over all steps
  double inertia = 0.0;    // sum of squared distances to the assigned centre (1 - cos when spherical), all processes
};

// x [N, D] (N >= k over all processes; every process needs at least one point).
SSL_SDK_API KMeansResult kmeans(const at::Tensor& x, const KMeansOptions& options);

// The nearest centre of each row of x [N, D] among centroids [K, D] (the dot product when
// spherical): [N] int64, computed in chunks.
SSL_SDK_API at::Tensor assign_to_centroids(const at::Tensor& x, const at::Tensor& centroids, bool spherical,
                                           int64_t chunk = 4096);

}  // namespace ssl::nn
