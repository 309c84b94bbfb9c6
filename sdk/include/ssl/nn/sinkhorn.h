#pragma once
// Sinkhorn-Knopp equipartition of soft assignments (SwAV, Caron et al. 2020, Alg. 1 and
// Sec. 3.1): codes Q for a batch of B samples and K prototypes that are as close to
// softmax(scores / epsilon) as possible while every prototype receives the same share of the
// batch. That equal share is what stops a clustering method from putting everything in one
// prototype (the collapse it is designed against).
//
//   Q = exp(scores / epsilon)^T  [K, B_global]; Q /= sum(Q)
//   repeat `iterations` times: rows (prototypes) /= their sum, then /= K;
//                              columns (samples) /= their sum, then /= B_global
//   return (Q * B_global)^T  [B, K]: each sample's code sums to 1
//
// The batch is the global one: with a Comm of several processes the sums over samples are
// all-reduced (every process passes its own [B_local, K] scores and gets its rows back). The
// iterations run in the log domain (log-sum-exp with the global maximum), so no score makes
// exp overflow or a sample's code underflow to 0/0. No gradient flows (the codes are targets).
#include <ATen/core/Tensor.h>

#include <cstdint>

#include "ssl/sdk/export.h"

namespace ssl::sdk {
class Comm;
}

namespace ssl::nn {

// scores [B, K] (e.g. cosine similarities of normalised features to normalised prototypes).
SSL_SDK_API at::Tensor sinkhorn_knopp(const at::Tensor& scores, double epsilon = 0.05, int64_t iterations = 3,
                                      sdk::Comm* comm = nullptr);

}  // namespace ssl::nn
