#include "simsiam.h"

#include <ATen/ATen.h>

#include "ssl/nn/collapse_metrics.h"
#include "ssl/nn/losses.h"
#include "ssl/nn/method_support.h"
#include "ssl/sdk/error.h"

namespace ssl::plugins::method_noncontrastive {

SimSiam::SimSiam(const sdk::Config& cfg, const sdk::BuildContext& ctx)
    : nn::ProjectedMethod(cfg, ctx, "simsiam"),
      stop_gradient_(cfg.get_bool("stop_gradient")),
      fixed_predictor_lr_(cfg.get_bool("fixed_predictor_lr")) {
  const int64_t dim = cfg.get_int("proj_dim");
  predictor_ = register_module("predictor", nn::make_head(cfg, "pred", dim, dim));
  to(ctx.device);
}

sdk::StepOutput SimSiam::training_step(const sdk::Batch& batch, const sdk::StepInfo& info) {
  (void)info;
  SSL_CHECK(batch.views.size() >= 2, "simsiam: expected 2 views, got ", batch.views.size());
  const at::Tensor z1 = project(batch.views[0]);
  const at::Tensor z2 = project(batch.views[1]);
  const at::Tensor p1 = predictor_->forward(z1);
  const at::Tensor p2 = predictor_->forward(z2);
  const at::Tensor t1 = stop_gradient_ ? z1.detach() : z1;
  const at::Tensor t2 = stop_gradient_ ? z2.detach() : z2;
  sdk::StepOutput out;
  out.loss = 0.5 * nn::negative_cosine(p1, t2) + 0.5 * nn::negative_cosine(p2, t1);
  out.metrics = {{"loss", out.loss.detach()}, {"z_std", nn::normalized_std_scalar(z1)}};
  return out;
}

std::vector<sdk::ParamGroup> SimSiam::parameter_groups() {
  sdk::ParamGroup encoder;
  encoder.name = "encoder";
  for (const auto& p : backbone_->parameters())
    if (p.requires_grad()) encoder.params.push_back(p);
  for (const auto& p : projector_->parameters())
    if (p.requires_grad()) encoder.params.push_back(p);
  sdk::ParamGroup predictor;
  predictor.name = "predictor";
  predictor.params = predictor_->parameters();
  predictor.fixed_lr = fixed_predictor_lr_;
  return {encoder, predictor};
}

sdk::Schema simsiam_schema() {
  sdk::Schema s;
  // Chen & He 2021: projector 3 x L(2048)-BN (ReLU between, last BN without affine),
  // predictor L(2048 -> 512)-BN-ReLU-L(-> 2048). (Solo-learn CIFAR: the same widths.)
  nn::add_head_keys(s, "proj", "projector", nn::HeadDefaults{2048, 2048, 3, true, true});
  nn::add_head_keys(s, "pred", "predictor", nn::HeadDefaults{512, 0, 2, true, false});
  s.add_bool("stop_gradient", true,
             "stop the gradient through the target z (false: the ablation that collapses)");
  s.add_bool("fixed_predictor_lr", true,
             "keep the predictor's learning rate at the base lr, unscheduled (SimSiam Sec. 4.2)");
  return s;
}

std::shared_ptr<sdk::Method> make_simsiam(const sdk::Config& cfg, const sdk::BuildContext& ctx) {
  return std::make_shared<SimSiam>(cfg, ctx);
}

}  // namespace ssl::plugins::method_noncontrastive
