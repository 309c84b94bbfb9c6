#pragma once
// Detached diagnostics every contrastive method can log next to its loss (SimCLR, MoCo,
// NNCLR, DirectCLR in plugins/method_contrastive; usable by out-of-tree methods alike).
// Neither function carries a gradient or changes its inputs.
#include <ATen/core/Tensor.h>

#include <cstdint>

#include "ssl/sdk/export.h"

namespace ssl::nn {

// Cosine statistics of a batch of positive pairs z1, z2 [N, D] (this process's rows only):
//   pos_sim  scalar: mean_i cos(z1_i, z2_i), the positives' agreement;
//   neg_sim  scalar: mean cosine over the 2N(2N - 2) negative pairs of the 2N embeddings
//            [z1; z2] (every pair but self and the two positive entries of each pair).
// Both detached, on z1's device in its dtype; healthy training drives pos_sim up and keeps
// neg_sim low, a collapse shows as both -> 1. With N = 1 there are no negatives: neg_sim is 0.
struct PairSimilarity {
  at::Tensor pos_sim;
  at::Tensor neg_sim;
};
SSL_SDK_API PairSimilarity pair_similarity(const at::Tensor& z1, const at::Tensor& z2);

// ln K as a float64 scalar: the value of a K-way cross-entropy when every candidate scores
// alike (an untrained or collapsed embedding). A method with a K-way loss logs it under
// sdk::metric::kUniformLossRef ("uniform_loss_ref", ssl/sdk/method.h); the host's alarm fires
// when the loss stays near it ([alarms] uniform_loss_tolerance / uniform_loss_patience).
// Scale it as the loss is scaled (MoCo v3 logs 2 * 2 tau * ln K for its two 2-tau-scaled terms).
// candidates >= 1 (K = 2N - 1 for NT-Xent over 2N views, 1 + queue size for MoCo v2).
SSL_SDK_API at::Tensor uniform_loss_ref(int64_t candidates);

}  // namespace ssl::nn
