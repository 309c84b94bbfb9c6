#pragma once
// Building helpers shared by every method plugin: the head schema keys and the head they
// describe, the backbone and comm taken from the BuildContext. One home, so a projector is
// configured with the same keys in every method:
//
//   <prefix>_hidden_dim  <prefix>_dim  <prefix>_layers  <prefix>_batch_norm  <prefix>_last_batch_norm
//
// (prefix "proj" for projectors, "pred" for predictors; a predictor has no <prefix>_dim key
// because its output width is the projector's).
#include <cstdint>
#include <memory>
#include <string>

#include "ssl/nn/head.h"
#include "ssl/nn/momentum.h"
#include "ssl/sdk/backbone.h"
#include "ssl/sdk/comm.h"
#include "ssl/sdk/config.h"
#include "ssl/sdk/context.h"
#include "ssl/sdk/export.h"
#include "ssl/sdk/method.h"
#include "ssl/sdk/schema.h"

namespace ssl::nn {

struct HeadDefaults {
  int64_t hidden_dim = 2048;
  int64_t out_dim = 256;  // <= 0: no <prefix>_dim key (the caller passes the output width)
  int64_t layers = 2;
  bool batch_norm = true;        // BatchNorm1d after every hidden Linear
  bool last_batch_norm = false;  // BatchNorm1d without affine after the last Linear
};

// Adds the head keys above; `what` names the head in the docs ("projector", "predictor").
SSL_SDK_API void add_head_keys(sdk::Schema& schema, const std::string& prefix,
                               const std::string& what, const HeadDefaults& defaults);

// The "predictor" switch of a method whose predictor can be removed (BYOL, SimSiam): a bool
// key, default true; `doc` says what false does. See ProjectedMethod::register_optional_predictor.
SSL_SDK_API void add_predictor_switch(sdk::Schema& schema, const std::string& doc);

// The head those keys describe: [N, in_dim] -> [N, out_dim]; out_dim <= 0 reads <prefix>_dim.
SSL_SDK_API MLPHead make_head(const sdk::Config& cfg, const std::string& prefix, int64_t in_dim,
                              int64_t out_dim = 0);

// A new backbone from the pipeline's [backbone] table; readable error if the host gave no
// factory or it returned null.
SSL_SDK_API std::shared_ptr<sdk::Backbone> build_backbone(const sdk::BuildContext& ctx,
                                                          const std::string& method);

// ctx.comm, or the single-process comm when the host gave none.
SSL_SDK_API std::shared_ptr<sdk::Comm> resolve_comm(const sdk::BuildContext& ctx);

// The shape most joint-embedding methods share: a backbone, a projector on it (the "proj_*"
// keys: a subclass's schema() must call add_head_keys(s, "proj", ...)), the comm, two views
// (the default ViewSpec). A method derives from it and adds its loss and whatever else it
// owns (predictor, momentum target, queue). Submodules "backbone" and "projector" are
// registered first, so checkpoint names are the same in every method.
class SSL_SDK_API ProjectedMethod : public sdk::Method {
 public:
  ~ProjectedMethod() override;
  std::shared_ptr<sdk::Backbone> backbone() const override { return backbone_; }
  // images [N, C, H, W] -> projector output [N, proj_dim] (the online / query branch).
  at::Tensor embed(const at::Tensor& images) override { return project(images); }

 protected:
  // `method` names the method in error messages. The host moves the built method to the
  // device; subclasses only register their own modules.
  ProjectedMethod(const sdk::Config& cfg, const sdk::BuildContext& ctx, const std::string& method);
  at::Tensor project(const at::Tensor& images) { return projector_->forward(backbone_->forward(images)); }
  // Registers and returns the submodule "predictor": the "pred_*" head [N, proj_dim] ->
  // [N, proj_dim] (BYOL, SimSiam, MoCo v3, NNCLR); the schema adds
  // add_head_keys(s, "pred", ..., {hidden, 0, ...}) (no pred_dim: the output is proj_dim wide).
  MLPHead register_predictor(const sdk::Config& cfg);
  // register_predictor(cfg), or a null head when the add_predictor_switch key is false.
  MLPHead register_optional_predictor(const sdk::Config& cfg);
  // head(z), or z itself for a null head (no predictor).
  static at::Tensor predict(MLPHead& head, const at::Tensor& z) { return head ? head->forward(z) : z; }
  // Registers the submodule "target" as target_: a MomentumEncoder of a new backbone
  // (ctx.make_backbone) and a copy of the projector, initialised from the online ones (BYOL,
  // MoCo v2 / v3); the schema adds add_momentum_keys. From then on after_step moves it toward
  // the online backbone and projector (target_->update(..., info.progress())).
  void register_target(const sdk::Config& cfg, const sdk::BuildContext& ctx);

 public:
  // The momentum update of target_, when register_target was called; a subclass that
  // overrides after_step calls this one too.
  void after_step(const sdk::StepInfo& info) override;

 protected:
  std::shared_ptr<sdk::Backbone> backbone_;
  MLPHead projector_{nullptr};
  MomentumEncoder target_{nullptr};  // set by register_target
  std::shared_ptr<sdk::Comm> comm_;
  std::string method_;  // the method's name, for error messages
};

}  // namespace ssl::nn
