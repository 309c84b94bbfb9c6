#include "ssl/nn/method_support.h"

#include "ssl/sdk/error.h"

namespace ssl::nn {

void add_head_keys(sdk::Schema& s, const std::string& prefix, const std::string& what, const HeadDefaults& d) {
  s.add_int(prefix + "_hidden_dim", d.hidden_dim, "hidden width of the " + what + " MLP").min(1);
  if (d.out_dim > 0) s.add_int(prefix + "_dim", d.out_dim, "output width of the " + what).min(1);
  s.add_int(prefix + "_layers", d.layers, "Linear layers in the " + what + " (1 = linear map)").range(1, 8);
  s.add_bool(prefix + "_batch_norm", d.batch_norm, "BatchNorm after each hidden Linear of the " + what);
  s.add_bool(prefix + "_last_batch_norm", d.last_batch_norm,
             "BatchNorm without affine after the last Linear of the " + what + " (SimSiam, MoCo v3 projectors)");
}

void add_predictor_switch(sdk::Schema& s, const std::string& doc) { s.add_bool("predictor", true, doc); }

MLPHead make_head(const sdk::Config& cfg, const std::string& prefix, int64_t in_dim, int64_t out_dim) {
  const int64_t out = out_dim > 0 ? out_dim : cfg.get_int(prefix + "_dim");
  return MLPHead(MLPHeadOptions(in_dim, cfg.get_int(prefix + "_hidden_dim"), out)
                     .num_layers(cfg.get_int(prefix + "_layers"))
                     .batch_norm(cfg.get_bool(prefix + "_batch_norm"))
                     .last_batch_norm(cfg.get_bool(prefix + "_last_batch_norm"))
                     .last_bn_affine(false));
}

std::shared_ptr<sdk::Backbone> build_backbone(const sdk::BuildContext& ctx, const std::string& method) {
  SSL_CHECK(static_cast<bool>(ctx.make_backbone), "method ", method,
            ": BuildContext::make_backbone is empty (no [backbone] table was resolved)");
  auto backbone = ctx.make_backbone();
  SSL_CHECK(backbone != nullptr, "method ", method, ": make_backbone() returned null");
  return backbone;
}

std::shared_ptr<sdk::Comm> resolve_comm(const sdk::BuildContext& ctx) {
  return ctx.comm ? ctx.comm : sdk::make_local_comm();
}

ProjectedMethod::ProjectedMethod(const sdk::Config& cfg, const sdk::BuildContext& ctx, const std::string& method)
    : method_(method) {
  backbone_ = register_module("backbone", build_backbone(ctx, method));
  projector_ = register_module("projector", make_head(cfg, "proj", backbone_->num_features()));
  comm_ = resolve_comm(ctx);
}

MLPHead ProjectedMethod::register_predictor(const sdk::Config& cfg) {
  const int64_t dim = cfg.get_int("proj_dim");
  return register_module("predictor", make_head(cfg, "pred", dim, dim));
}

MLPHead ProjectedMethod::register_optional_predictor(const sdk::Config& cfg) {
  return cfg.get_bool("predictor") ? register_predictor(cfg) : MLPHead(nullptr);
}

void ProjectedMethod::register_target(const sdk::Config& cfg, const sdk::BuildContext& ctx) {
  target_ = register_module("target", MomentumEncoder(build_backbone(ctx, method_), *backbone_, projector_, cfg));
}

void ProjectedMethod::after_step(const sdk::StepInfo& info) {
  if (target_) target_->update(*backbone_, projector_, info.progress());
}

ProjectedMethod::~ProjectedMethod() = default;

}  // namespace ssl::nn
