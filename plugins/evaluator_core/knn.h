#pragma once
// Weighted k-nearest-neighbour classifier on frozen features (Wu et al. 2018, "Unsupervised
// Feature Learning via Non-Parametric Instance Discrimination"; the protocol of DINO and lightly).
//
// Bank: L2-normalised backbone features of the train split. For each test feature, the k most
// cosine-similar bank entries vote for their class with weight exp(sim / T); class scores are
// summed and the highest wins. Defaults: k = 200, T = 0.1 (lightly's CIFAR-10 benchmark; Wu et
// al. use k = 200, T = 0.07; DINO reports k = 20 as well). The `knn` evaluator (knn.cpp)
// scores the test split with knn_accuracy; this header is for its free functions and tests.
#include <ATen/core/Tensor.h>

#include <atomic>
#include <cstdint>

namespace ssl::plugins::evaluator_core {

struct KnnOptions {
  int64_t k = 200;
  double temperature = 0.1;
  int64_t chunk_size = 1024;  // queries scored at once: memory is chunk_size x N_bank floats
  const std::atomic<bool>* stop = nullptr;  // checked between chunks (sdk::throw_if_stopped)
};

// Class scores sum_{j in top-k(i)} exp(cos(q_i, b_j) / T) * [label_j == c].
// bank [Nb, D], bank_labels [Nb] int64 in [0, C), queries [Nq, D]; features need not be
// normalised. Computed chunk-wise on bank's device; returns [Nq, C] float32 on the CPU.
at::Tensor knn_scores(const at::Tensor& bank, const at::Tensor& bank_labels, const at::Tensor& queries,
                      int64_t num_classes, const KnnOptions& options);

struct KnnAccuracy {
  double top1 = 0.0;  // fractions in [0, 1]
  double top5 = 0.0;  // with fewer than 5 classes: top-C, i.e. 1
  at::Tensor predictions;  // [Nq] int64 on the CPU: each query's top-1 class
};

// Accuracy of the weighted kNN vote for queries [Nq, D] with labels [Nq] (as knn_scores,
// without materialising all scores).
KnnAccuracy knn_accuracy(const at::Tensor& bank, const at::Tensor& bank_labels, const at::Tensor& queries,
                         const at::Tensor& query_labels, int64_t num_classes, const KnnOptions& options);

}  // namespace ssl::plugins::evaluator_core
