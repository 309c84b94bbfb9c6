#pragma once
// Pieces shared by the contrastive methods of this plugin (SimCLR, MoCo v2/v3, NNCLR,
// DirectCLR: <method>.h/.cpp pairs of the same shape: a Method subclass, its schema, its
// factory). The heads and their keys, losses, EMA / momentum encoder and queues live in
// ssl/nn/ (shared with the other method plugins).
#include <ATen/core/Tensor.h>

#include <cstdint>

namespace ssl::plugins::method_contrastive {

// Detached diagnostics of a positive pair batch z1, z2 [N, D] (local rows only):
// pos_sim = mean cos(z1_i, z2_i); neg_sim = mean cosine over the 2N(2N-2) negative pairs of
// the 2N local embeddings. Collapse shows as both -> 1.
struct PairSimilarity {
  at::Tensor pos_sim;
  at::Tensor neg_sim;
};
PairSimilarity pair_similarity(const at::Tensor& z1, const at::Tensor& z2);

// ln K: a K-way cross-entropy's value when every candidate scores alike (the embedding has
// collapsed to a point). Logged as <method>/uniform_loss_ref; the host's alarm fires when the
// loss stays near it ([alarms] uniform_loss_tolerance / uniform_loss_patience).
at::Tensor uniform_loss_ref(int64_t candidates);

}  // namespace ssl::plugins::method_contrastive
