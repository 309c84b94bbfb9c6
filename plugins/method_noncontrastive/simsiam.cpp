// SimSiam (Chen & He, CVPR 2021): one backbone + projector (3 layers with BN, last BN without
// affine) + bottleneck predictor L(2048 -> 512)-BN-ReLU-L(-> 2048); no target network: the
// target is sg(z) of the same network. Loss -1/2 cos(p1, sg(z2)) - 1/2 cos(p2, sg(z1)), in
// [-1, 1]. With stop_gradient = false the gradient flows through z too and the method
// collapses (loss -> -1, z_std -> 0; paper Fig. 2). The predictor is its own parameter group
// whose learning rate is not scheduled (paper Sec. 4.2: "fixed lr for the predictor").
#include <ATen/ATen.h>

#include <vector>

#include "ssl/nn/collapse_metrics.h"
#include "ssl/nn/losses.h"
#include "ssl/nn/method_support.h"
#include "ssl/sdk/registrar.h"

namespace ssl::plugins::method_noncontrastive {
namespace {

class SimSiam final : public nn::ProjectedMethod {
 public:
  SimSiam(const sdk::Config& cfg, const sdk::BuildContext& ctx)
      : nn::ProjectedMethod(cfg, ctx, "simsiam"),
        predictor_(register_optional_predictor(cfg)),
        stop_gradient_(cfg.get_bool("stop_gradient")), fixed_predictor_lr_(cfg.get_bool("fixed_predictor_lr")) {}

  static sdk::Schema schema() {
    sdk::Schema s;
    // Chen & He 2021: projector 3 x L(2048)-BN (ReLU between, last BN without affine),
    // predictor L(2048 -> 512)-BN-ReLU-L(-> 2048). (Solo-learn CIFAR: the same widths.)
    nn::add_head_keys(s, "proj", "projector", nn::HeadDefaults{2048, 2048, 3, true, true});
    nn::add_head_keys(s, "pred", "predictor", nn::HeadDefaults{512, 0, 2, true, false});
    nn::add_predictor_switch(s, "the predictor; false compares the two projections directly (the ablation that "
                                "collapses, Chen & He Table 1)");
    s.add_bool("stop_gradient", true, "stop the gradient through the target z (false: the ablation that collapses)");
    s.add_bool("fixed_predictor_lr", true,
               "keep the predictor's learning rate at the base lr, unscheduled (SimSiam Sec. 4.2)");
    return s;
  }

  // views[0], views[1]: [N, C, H, W] -> loss; metrics loss, z_std (std of normalised z1 along
  // the batch, mean over dims: ~1/sqrt(proj_dim) healthy, 0 collapsed).
  sdk::StepOutput training_step(const sdk::Batch& batch, const sdk::StepInfo&) override {
    const at::Tensor z1 = project(batch.views[0]);
    const at::Tensor z2 = project(batch.views[1]);
    const at::Tensor p1 = predict(predictor_, z1);
    const at::Tensor p2 = predict(predictor_, z2);
    const at::Tensor t1 = stop_gradient_ ? z1.detach() : z1;
    const at::Tensor t2 = stop_gradient_ ? z2.detach() : z2;
    sdk::StepOutput out;
    out.loss = 0.5 * nn::negative_cosine(p1, t2) + 0.5 * nn::negative_cosine(p2, t1);
    out.metrics = {{"loss", out.loss.detach()}, {"z_std", nn::normalized_std_scalar(z1)}};
    return out;
  }

  // "encoder" (backbone + projector, scheduled) and "predictor" (fixed_lr = fixed_predictor_lr),
  // the latter only with a predictor.
  std::vector<sdk::ParamGroup> parameter_groups() override {
    sdk::ParamGroup encoder;
    encoder.name = "encoder";
    for (const auto& p : backbone_->parameters())
      if (p.requires_grad()) encoder.params.push_back(p);
    for (const auto& p : projector_->parameters())
      if (p.requires_grad()) encoder.params.push_back(p);
    if (!predictor_) return {encoder};
    sdk::ParamGroup predictor;
    predictor.name = "predictor";
    predictor.params = predictor_->parameters();
    predictor.fixed_lr = fixed_predictor_lr_;
    return {encoder, predictor};
  }

 private:
  nn::MLPHead predictor_;  // null with predictor = false
  bool stop_gradient_;
  bool fixed_predictor_lr_;
};

}  // namespace

void register_simsiam(sdk::Registrar& r) {
  r.add_method<SimSiam>("simsiam",
                        "SimSiam: predictor + stop-gradient on the same network, negative cosine, symmetric");
}

}  // namespace ssl::plugins::method_noncontrastive
