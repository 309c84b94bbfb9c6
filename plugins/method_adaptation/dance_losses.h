#pragma once
// The loss terms of DANCE (Saito, Kim, Sclaroff, Saenko, "Universal Domain Adaptation through
// Self-Supervision", NeurIPS 2020) as free functions, so each is tested on its own.
#include <ATen/core/Tensor.h>

namespace ssl::sdk {
class Comm;
}

namespace ssl::plugins::method_adaptation {

// Mean Shannon entropy of the softmax of each row of `logits` [N, K] -> scalar (natural log).
at::Tensor mean_entropy(const at::Tensor& logits);
// The entropy of the softmax of each row: [N, K] -> [N].
at::Tensor row_entropy(const at::Tensor& logits);

// Entropy separation: -mean_i max(|H(p_i) - rho|, margin) over the target rows' classifier
// logits [N, K]. Minimising it pushes each entropy away from rho: down (towards a known class)
// when below, up (towards "unknown") when above. Inside the margin (|H - rho| < margin) the
// term is the constant -margin, so those rows get no gradient: the ambiguous ones are left alone.
at::Tensor entropy_separation(const at::Tensor& logits, double rho, double margin);

// Neighbourhood clustering for the target features `f` [B, D] (L2-normalised) with batch indices
// `index` [B] into the memory bank `memory` [N, D] (normalised target features of earlier steps)
// and the classifier's logits `class_logits` [B, K] (already divided by the temperature): the
// mean entropy of the softmax over [class_logits, f memory^T / T, f f^T / T] per row, where
// the memory slots of the batch's own samples and each row's own column of f f^T are masked
// (set to -1 / T, the smallest cosine). Each batch sample is thus compared with its fresh
// features, never with its stale copy in the memory. Minimising it moves each target feature
// towards either a class prototype or its target neighbours.
// With several processes, `comm` makes "the batch" the global one: each rank's rows are compared
// with every rank's fresh features (gathered with gradient) and the memory slots of the whole
// global batch are masked, so the ranks' mean gives the single-process value and the gradient
// follows the convention of ssl/sdk/comm.h. Every rank must hold the same number of rows.
at::Tensor neighbourhood_clustering(const at::Tensor& f, const at::Tensor& index, const at::Tensor& memory,
                                    const at::Tensor& class_logits, double temperature,
                                    sdk::Comm* comm = nullptr);

// The memory update: memory[index] = normalise(momentum * memory[index] + (1 - momentum) * f),
// in place, without gradient (f is detached). momentum 0 (the authors' setting) replaces the
// slots with the new features.
void update_memory(at::Tensor& memory, const at::Tensor& index, const at::Tensor& f, double momentum);

}  // namespace ssl::plugins::method_adaptation
