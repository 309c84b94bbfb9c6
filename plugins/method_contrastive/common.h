#pragma once
// Pieces shared by the contrastive methods of this plugin (SimCLR now; MoCo v2/v3, NNCLR and
// DirectCLR as further <method>.h/.cpp pairs of the same shape: a Method subclass, its schema,
// its factory). The heads, losses, EMA and queues themselves live in ssl/nn/.
#include <ATen/core/Tensor.h>

#include <cstdint>
#include <memory>
#include <string>

#include "ssl/nn/head.h"
#include "ssl/sdk/backbone.h"
#include "ssl/sdk/comm.h"
#include "ssl/sdk/config.h"
#include "ssl/sdk/context.h"
#include "ssl/sdk/schema.h"

namespace ssl::plugins::method_contrastive {

struct ProjectorDefaults {
  int64_t hidden_dim = 2048;
  int64_t out_dim = 256;
  int64_t layers = 2;
  bool batch_norm = false;
};

// Adds proj_hidden_dim, proj_dim, proj_layers, proj_batch_norm with the given defaults.
void add_projector_keys(sdk::Schema& schema, const ProjectorDefaults& defaults);
// The projector those keys describe: [N, in_dim] -> [N, proj_dim].
nn::MLPHead make_projector(const sdk::Config& cfg, int64_t in_dim);

// The backbone from the pipeline's [backbone] table; error if the host gave no factory.
std::shared_ptr<sdk::Backbone> build_backbone(const sdk::BuildContext& ctx,
                                              const std::string& method);
// ctx.comm, or the single-process comm when the host gave none.
std::shared_ptr<sdk::Comm> resolve_comm(const sdk::BuildContext& ctx);

// Detached diagnostics of a positive pair batch z1, z2 [N, D] (local rows only):
// pos_sim = mean cos(z1_i, z2_i); neg_sim = mean cosine over the 2N(2N-2) negative pairs of
// the 2N local embeddings. Collapse shows as both -> 1.
struct PairSimilarity {
  at::Tensor pos_sim;
  at::Tensor neg_sim;
};
PairSimilarity pair_similarity(const at::Tensor& z1, const at::Tensor& z2);

}  // namespace ssl::plugins::method_contrastive
