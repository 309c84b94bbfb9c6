// DCL: Decoupled Contrastive Learning (Yeh et al., ECCV 2022), an ssl-host method plugin
// built outside the ssl-host tree against the installed SDK.
//
// SimCLR's NT-Xent puts the positive pair in its own denominator; DCL takes it out. For each
// of the 2N embeddings z_i of the global batch, with positive z_p and temperature tau:
//   L_i = -w_i * cos(z_i, z_p) / tau + log sum_{k != i, k != p} exp(cos(z_i, z_k) / tau)
// DCL: w_i = 1. DCLW (weighted, `sigma` > 0): w_i = 2 - N * softmax_i(cos(z_i, z_p) / sigma),
// which weighs hard positives (low similarity) more. Paper: tau 0.1, sigma 0.5.
#include <ATen/ATen.h>

#include <cmath>
#include <limits>

#include "ssl/nn/losses.h"
#include "ssl/nn/method_support.h"
#include "ssl/sdk/comm.h"
#include "ssl/sdk/method.h"
#include "ssl/sdk/plugin_api.h"
#include "ssl/sdk/registrar.h"

namespace dcl {

using namespace ssl;

// z1, z2: [N, D] projections of the two views (row i of each is a positive pair).
at::Tensor dcl_loss(const at::Tensor& z1, const at::Tensor& z2, double tau, double sigma, sdk::Comm& comm) {
  const int64_t n = z1.size(0), rank = comm.rank(), total = n * comm.world_size();
  const at::Tensor local = at::cat({nn::l2_normalize(z1), nn::l2_normalize(z2)});  // [2N, D]
  const at::Tensor global = at::cat({comm.all_gather_with_grad(local.narrow(0, 0, n)),   // [2WN, D]
                                     comm.all_gather_with_grad(local.narrow(0, n, n))});
  const at::Tensor cos = at::matmul(local, global.t());  // [2N, 2WN]
  const at::Tensor rows = at::arange(n, z1.options().dtype(at::kLong)) + rank * n;
  const at::Tensor self = at::cat({rows, rows + total}).unsqueeze(1);
  const at::Tensor positive = at::cat({rows + total, rows}).unsqueeze(1);
  const at::Tensor pos_cos = cos.gather(1, positive).squeeze(1);  // [2N]
  const at::Tensor negatives = (cos / tau)
                                   .scatter(1, self, -std::numeric_limits<double>::infinity())
                                   .scatter(1, positive, -std::numeric_limits<double>::infinity());
  at::Tensor weight = at::ones_like(pos_cos);
  if (sigma > 0) weight = 2.0 - double(n) * at::softmax(pos_cos.view({2, n}) / sigma, 1).view({2 * n});
  return (-weight * pos_cos / tau + at::logsumexp(negatives, 1)).mean();
}

class DCL final : public nn::ProjectedMethod {
 public:
  DCL(const sdk::Config& cfg, const sdk::BuildContext& ctx)
      : nn::ProjectedMethod(cfg, ctx, "dcl"),
        temperature_(cfg.get_float("temperature")),
        sigma_(cfg.get_float("sigma")) {}

  static sdk::Schema schema() {
    sdk::Schema s;
    nn::add_head_keys(s, "proj", "projector", nn::HeadDefaults{2048, 256, 2, false, false});
    s.add_float("temperature", 0.1, "temperature tau (Yeh et al. 2022: 0.1)").greater_than(0);
    s.add_float("sigma", 0.0, "DCLW weighting sigma; 0 = plain DCL (paper's DCLW: 0.5)").min(0);
    return s;
  }

  // views[0], views[1]: [N, C, H, W] -> the DCL loss; metrics pos_sim and uniform_loss_ref.
  sdk::StepOutput training_step(const sdk::Batch& batch, const sdk::StepInfo&) override {
    const at::Tensor z1 = project(batch.views[0]), z2 = project(batch.views[1]);
    sdk::StepOutput out;
    out.loss = dcl_loss(z1, z2, temperature_, sigma_, *comm_);
    const int64_t negatives = 2 * z1.size(0) * comm_->world_size() - 2;
    out.metrics = {{"pos_sim", at::cosine_similarity(z1, z2, 1).mean().detach()},
                   {sdk::metric::kUniformLossRef, at::full({}, std::log(double(negatives)))}};
    return out;
  }

 private:
  double temperature_, sigma_;
};

void register_components(sdk::Registrar& r) {
  r.add_method<DCL>("dcl", "DCL: contrastive loss without the positive in the denominator (Yeh et al. 2022)");
}

}  // namespace dcl

SSL_PLUGIN_DEFINE(method_dcl, "0.1.0", dcl::register_components)
