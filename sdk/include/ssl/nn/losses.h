#pragma once
// Self-supervised losses as free functions, shared by every method. Every function takes
// raw (un-normalised) embeddings and L2-normalises them itself where the loss is cosine based;
// none detaches its inputs: stop-gradient is the caller's explicit choice (pass z.detach()).
#include <ATen/core/Tensor.h>

#include "ssl/sdk/export.h"

namespace ssl::sdk {
class Comm;
}

namespace ssl::nn {

// SimCLR's NT-Xent (Chen et al. 2020). z1, z2: [N, D], the two views' projections, row i of z1
// and row i of z2 being a positive pair. Over the global batch of 2*W*N embeddings (W processes,
// each with the same N), every local row's positive is its other view and the 2*W*N - 2 others
// are negatives; similarities are cosines / temperature; the result is the cross-entropy
// averaged over this process's 2N rows (a scalar). Negatives are gathered from every process
// with comm.all_gather_with_grad, so the gradient flows back into the local slice; the local
// rows sit at offset rank*N in each gathered view. With W = 1 it is the standard loss.
// Solo-learn's CIFAR temperature is 0.2.
SSL_SDK_API at::Tensor nt_xent_loss(const at::Tensor& z1, const at::Tensor& z2, double temperature,
                                    sdk::Comm& comm);

// Mean negative cosine similarity -mean_i cos(p_i, z_i); p, z: [N, D] -> scalar in [-1, 1].
// SimSiam (Chen & He 2021) uses 0.5 * (negative_cosine(p1, z2.detach()) + the symmetric term).
SSL_SDK_API at::Tensor negative_cosine(const at::Tensor& p, const at::Tensor& z);

// BYOL's regression loss (Grill et al. 2020): mean_i (2 - 2 cos(p_i, z_i)) = mean ||p^ - z^||^2
// of the normalised vectors; p, z: [N, D] -> scalar in [0, 4]. Pass the target as z.detach().
SSL_SDK_API at::Tensor byol_loss(const at::Tensor& p, const at::Tensor& z);

// InfoNCE with in-batch negatives (MoCo v3, Chen et al. 2021; NNCLR): q, k: [N, D], row i of k
// is the positive of row i of q, every other row of k a negative. Logits q^ k^T / temperature
// [N, N], cross-entropy with labels arange(N), mean over rows. MoCo v3 scales it by
// 2 * temperature; that is left to the caller.
SSL_SDK_API at::Tensor info_nce(const at::Tensor& q, const at::Tensor& k, double temperature);

// The same over the global batch: keys are gathered from every process WITHOUT gradient
// (comm.all_gather; MoCo v3's keys come from the momentum encoder), labels are offset by
// rank * N. q, k: [N, D] with the same N on every process.
SSL_SDK_API at::Tensor info_nce(const at::Tensor& q, const at::Tensor& k, double temperature,
                                sdk::Comm& comm);

// MoCo v2's InfoNCE (He et al. 2020): q, k: [N, D] positives, queue: [K, D] negatives (already
// normalised keys, e.g. nn::KeyQueue::keys()). Logits [N, 1 + K] = [q^.k^, q^ queue^T] / temperature,
// label 0. k and queue receive no gradient here only if the caller passes them detached.
SSL_SDK_API at::Tensor info_nce_with_queue(const at::Tensor& q, const at::Tensor& k,
                                           const at::Tensor& queue, double temperature);

}  // namespace ssl::nn
