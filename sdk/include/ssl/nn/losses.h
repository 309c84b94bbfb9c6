#pragma once
// Self-supervised losses as free functions, shared by every method. Every function takes
// raw (un-normalised) embeddings and L2-normalises them itself where the loss is cosine based;
// none detaches its inputs: stop-gradient is the caller's explicit choice (pass z.detach()).
#include <ATen/core/Tensor.h>

#include <vector>

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

// How info_nce gathers its keys across processes.
enum class KeyGather {
  NoGrad,    // comm.all_gather: keys from a momentum encoder (MoCo v3)
  WithGrad,  // comm.all_gather_with_grad: the keys are online outputs (NNCLR's predictions)
};

// The same over the global batch: keys are gathered from every process (by default WITHOUT
// gradient, comm.all_gather; MoCo v3's keys come from the momentum encoder), labels are offset
// by rank * N. q, k: [N, D] with the same N on every process. NNCLR passes its support-set
// neighbours as q and its predictions as k with KeyGather::WithGrad.
SSL_SDK_API at::Tensor info_nce(const at::Tensor& q, const at::Tensor& k, double temperature,
                                sdk::Comm& comm, KeyGather gather = KeyGather::NoGrad);

// MoCo v2's InfoNCE (He et al. 2020): q, k: [N, D] positives, queue: [K, D] negatives (already
// normalised keys, e.g. nn::KeyQueue::keys()). Logits [N, 1 + K] = [q^.k^, q^ queue^T] / temperature,
// label 0. k and queue receive no gradient here only if the caller passes them detached.
SSL_SDK_API at::Tensor info_nce_with_queue(const at::Tensor& q, const at::Tensor& k,
                                           const at::Tensor& queue, double temperature);

// ---- Redundancy reduction ----

// Barlow Twins' cross-correlation (Zbontar et al. 2021). z1, z2: [N, D]. Each is normalised
// along the batch (zero mean, unit biased variance per dimension, eps 1e-5, i.e. BatchNorm1d
// without affine in training mode), then C = bn(z1)^T bn(z2) / N
// [D, D]. Across W processes (the same N rows on each) the standardisation and C are over the
// global batch of W*N rows, through comm.all_reduce_sum_with_grad: value and gradient equal a
// single process's at batch W*N. (The official code all-reduces C without a gradient, which
// scales its gradients by 1/W under DDP's averaging.)
SSL_SDK_API at::Tensor cross_correlation(const at::Tensor& z1, const at::Tensor& z2,
                                         sdk::Comm& comm);

struct BarlowTwinsTerms {
  at::Tensor loss;      // on_diag + lambda * off_diag (unscaled), scalar
  at::Tensor on_diag;   // sum_i (1 - C_ii)^2
  at::Tensor off_diag;  // sum_{i != j} C_ij^2
};
// Barlow Twins' loss on C = cross_correlation(z1, z2, comm). Paper lambda: 0.0051. Solo-learn
// multiplies the result by scale_loss (0.1 on CIFAR); that is left to the caller.
SSL_SDK_API BarlowTwinsTerms barlow_twins_loss(const at::Tensor& z1, const at::Tensor& z2,
                                               double lambda, sdk::Comm& comm);

// VICReg terms (Bardes et al. 2022), as the official implementation:
// invariance: MSE(z1, z2) = mean over N*D of (z1 - z2)^2; z1, z2: [N, D].
SSL_SDK_API at::Tensor vicreg_invariance(const at::Tensor& z1, const at::Tensor& z2);
// variance: mean_j max(0, 1 - sqrt(Var(z_j) + eps)), Var unbiased along the batch; z: [N, D].
SSL_SDK_API at::Tensor vicreg_variance(const at::Tensor& z, double eps = 1e-4);
// covariance: sum_{i != j} Cov(z)_ij^2 / D, Cov = (z - mean)^T (z - mean) / (N - 1); z: [N, D].
SSL_SDK_API at::Tensor vicreg_covariance(const at::Tensor& z);

struct VICRegTerms {
  at::Tensor loss;        // sim_w * invariance + var_w * variance + cov_w * covariance
  at::Tensor invariance;  // vicreg_invariance(z1, z2) on the local rows
  at::Tensor variance;    // (variance(Z1) + variance(Z2)) / 2 over the global batch Z
  at::Tensor covariance;  // covariance(Z1) + covariance(Z2) over the global batch Z
};
// The weighted VICReg loss (paper: 25, 25, 1). The variance and covariance statistics are
// taken over the global batch gathered with comm.all_gather_with_grad.
SSL_SDK_API VICRegTerms vicreg_loss(const at::Tensor& z1, const at::Tensor& z2, double sim_weight,
                                    double var_weight, double cov_weight, sdk::Comm& comm);

// ---- Clustering and self-distillation (SwAV, DINO) ----

// Cross-entropy of soft targets: mean_b -sum_k targets[b, k] * log_softmax(logits[b] / t)_k.
// targets [B, K] (rows summing to 1; pass them detached: codes and teacher outputs are
// constants), logits [B, K] -> scalar.
// Its value for a uniform prediction is ln K whatever the targets (uniform_loss_ref(K)).
SSL_SDK_API at::Tensor soft_cross_entropy(const at::Tensor& targets, const at::Tensor& logits, double temperature);

// The multi-crop swapped prediction of SwAV and DINO: every view predicts the targets of
// every global crop except its own,
//   mean over pairs (i in targets, v in logits, v != i) of soft_cross_entropy(targets[i], logits[v], t)
// targets: one [B, K] per global crop (views 0, 1, ...); logits: one [B, K] per view.
SSL_SDK_API at::Tensor swapped_prediction_loss(const std::vector<at::Tensor>& targets,
                                               const std::vector<at::Tensor>& logits, double temperature);

// ---- Helpers and diagnostics ----

// Rows scaled to unit L2 norm (F.normalize(x, dim=1), eps 1e-12); x: [N, D] -> [N, D].
SSL_SDK_API at::Tensor l2_normalize(const at::Tensor& x);

// Mean cosine similarity of paired rows, mean_i cos(a_i, b_i); a, b: [N, D] -> detached scalar
// (positive-pair similarity logged by MoCo, NNCLR, ...).
SSL_SDK_API at::Tensor mean_cosine(const at::Tensor& a, const at::Tensor& b);


}  // namespace ssl::nn
