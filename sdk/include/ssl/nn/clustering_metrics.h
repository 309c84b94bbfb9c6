#pragma once
// How well a clustering matches the labels, and how balanced it is (the `clustering`
// evaluator; DeepCluster and SwAV papers report NMI). clusters [N], labels [N]: int64 with
// values >= 0 (rows with a negative label are ignored).
//  - NMI: mutual information over the arithmetic mean of the two entropies (as scikit-learn's
//    default), in [0, 1]; 1 for identical partitions up to renaming.
//  - ARI: adjusted Rand index (Hubert & Arabie 1985): 0 in expectation for a random clustering,
//    1 for identical partitions.
//  - accuracy: the best one-to-one matching of clusters to classes (Hungarian algorithm on the
//    contingency table), the fraction of points whose cluster is matched to their class.
//  - size entropy: the entropy of the cluster sizes over log K (K the number of clusters asked
//    for): 1 when all are equal, 0 when one cluster holds every point (collapse).
#include <ATen/core/Tensor.h>

#include <cstdint>
#include <vector>

#include "ssl/sdk/export.h"

namespace ssl::nn {

struct ClusteringScores {
  double nmi = 0.0, ari = 0.0, accuracy = 0.0, size_entropy = 0.0;
};

// `num_clusters`: the K the clustering was asked for (0: one more than the largest id).
SSL_SDK_API ClusteringScores clustering_scores(const at::Tensor& clusters, const at::Tensor& labels,
                                               int64_t num_clusters = 0);

// Normalised entropy of cluster sizes counts [K] (see above); 0 when K < 2.
SSL_SDK_API double size_entropy(const at::Tensor& counts);

// The training-time form for a batch: scores [N, K] (a sample's affinity to K prototypes or
// output dimensions) -> the entropy of the sizes of its argmax assignments over log min(N, K),
// a detached scalar tensor on the scores' device (no host sync): 1 when the batch spreads as
// evenly as it can, 0 when every sample picks the same one (SwAV, DINO, DeepCluster collapse).
SSL_SDK_API at::Tensor assignment_entropy(const at::Tensor& scores);

// The assignment of rows to columns maximising the total weight of a [R, C] matrix (R, C >= 0),
// one-to-one (min(R, C) pairs): result[r] = the column of row r, or -1 when it has none.
// O(n^3) Hungarian algorithm with potentials (n = max(R, C)).
SSL_SDK_API std::vector<int64_t> max_weight_matching(const std::vector<std::vector<double>>& weight);

}  // namespace ssl::nn
