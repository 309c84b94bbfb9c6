#include "common.h"

#include <ATen/ATen.h>
#include <torch/csrc/autograd/grad_mode.h>

#include "ssl/sdk/error.h"

namespace ssl::plugins::method_contrastive {

void add_projector_keys(sdk::Schema& s, const ProjectorDefaults& d) {
  s.add_int("proj_hidden_dim", d.hidden_dim, "hidden width of the projector MLP").min(1);
  s.add_int("proj_dim", d.out_dim, "output width of the projector (the embedding the loss sees)")
      .min(1);
  s.add_int("proj_layers", d.layers, "Linear layers in the projector (1 = linear map)").range(1, 8);
  s.add_bool("proj_batch_norm", d.batch_norm, "BatchNorm after each hidden Linear of the projector");
}

nn::MLPHead make_projector(const sdk::Config& cfg, int64_t in_dim) {
  return nn::MLPHead(nn::MLPHeadOptions(in_dim, cfg.get_int("proj_hidden_dim"),
                                        cfg.get_int("proj_dim"))
                         .num_layers(cfg.get_int("proj_layers"))
                         .batch_norm(cfg.get_bool("proj_batch_norm")));
}

std::shared_ptr<sdk::Backbone> build_backbone(const sdk::BuildContext& ctx,
                                              const std::string& method) {
  SSL_CHECK(static_cast<bool>(ctx.make_backbone), "method ", method,
            ": BuildContext::make_backbone is empty (no [backbone] table was resolved)");
  auto backbone = ctx.make_backbone();
  SSL_CHECK(backbone != nullptr, "method ", method, ": make_backbone() returned null");
  return backbone;
}

std::shared_ptr<sdk::Comm> resolve_comm(const sdk::BuildContext& ctx) {
  return ctx.comm ? ctx.comm : sdk::make_local_comm();
}

PairSimilarity pair_similarity(const at::Tensor& z1, const at::Tensor& z2) {
  torch::NoGradGuard no_grad;
  const int64_t n = z1.size(0);
  at::Tensor z = at::cat({z1.detach(), z2.detach()}, 0);
  z = z / z.norm(2, {1}, true).clamp_min(1e-12);
  const at::Tensor sim = at::matmul(z, z.t());  // [2N, 2N]
  const at::Tensor pos = (z.narrow(0, 0, n) * z.narrow(0, n, n)).sum(1);  // [N]
  // Everything but the diagonal (self) and the two positive entries of each pair.
  const at::Tensor neg_sum = sim.sum() - sim.diagonal().sum() - 2.0 * pos.sum();
  const double neg_count = n > 1 ? double(2 * n) * double(2 * n - 2) : 1.0;
  return {pos.mean(), neg_sum / neg_count};
}

}  // namespace ssl::plugins::method_contrastive
