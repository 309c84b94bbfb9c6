#pragma once
// Testing a plugin's components without the host, through its static twin (ssl_add_plugin()
// builds ssl_<name>_static next to the .so; see docs/writing_a_method.md):
//
//   SSL_PLUGIN_DECLARE_STATIC(method_dcl);
//   ssl::sdk::testing::Components components{ssl_static_plugin_info_method_dcl()};
//   auto method = components.method("dcl", {{"temperature", 0.2}},
//                                   ssl::sdk::testing::method_context(1, 16));
//   auto out = method->training_step(ssl::sdk::testing::random_views(8, 1, 16), {});
//
// Components builds exactly as the host does: the schema fills defaults and checks the given
// values (an out-of-range value throws the host's message) before the factory runs. The
// context's backbone is a FlatBackbone (one Linear layer over the flattened pixels), so a
// method test needs no backbone plugin. Every component kind's interface is included.
#include <ATen/ATen.h>
#include <torch/nn/modules/linear.h>

#include <cstdint>
#include <initializer_list>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "ssl/sdk/augmentation.h"
#include "ssl/sdk/backbone.h"
#include "ssl/sdk/comm.h"
#include "ssl/sdk/dataset.h"
#include "ssl/sdk/error.h"
#include "ssl/sdk/evaluator.h"
#include "ssl/sdk/method.h"
#include "ssl/sdk/plugin_api.h"
#include "ssl/sdk/registrar.h"

namespace ssl::sdk::testing {

using Values = std::map<std::string, Value>;

// Every component the given plugins register, built from schema defaults plus given values.
class Components final : public Registrar {
 public:
  explicit Components(std::initializer_list<const SslPluginInfo*> plugins) {
    for (const SslPluginInfo* p : plugins) p->register_components(*this);
  }
  void add(ComponentSpec spec) override { specs_.push_back(std::move(spec)); }

  const ComponentSpec& spec(Kind kind, const std::string& name) const {
    for (const auto& s : specs_)
      if (s.kind() == kind && s.name == name) return s;
    SSL_FAIL("no ", kind_name(kind), " named '", name, "' is registered by these plugins");
  }
  // The validated Config the host would hand the factory.
  Config config(Kind kind, const std::string& name, const Values& values = {}) const {
    return spec(kind, name).schema.resolve(values, std::string(kind_name(kind)) + " " + name);
  }
  template <class T>
  std::shared_ptr<T> build(Kind kind, const std::string& name, const Values& values = {},
                           const BuildContext& ctx = {}) const {
    return std::get<FactoryOf<T>>(spec(kind, name).factory)(config(kind, name, values), ctx);
  }
  std::shared_ptr<Method> method(const std::string& name, const Values& values, const BuildContext& ctx) const {
    return build<Method>(Kind::Method, name, values, ctx);
  }

 private:
  std::vector<ComponentSpec> specs_;
};

// A backbone for tests: images [N, C, S, S] -> Linear(C*S*S -> features) of the flattened pixels.
class FlatBackbone final : public Backbone {
 public:
  FlatBackbone(int64_t channels, int64_t size, int64_t features)
      : features_(features),
        linear_(register_module("fc", torch::nn::Linear(channels * size * size, features))) {}
  at::Tensor forward(const at::Tensor& images) override { return linear_->forward(images.flatten(1)); }
  int64_t num_features() const override { return features_; }

 private:
  int64_t features_;
  torch::nn::Linear linear_;
};

// The context the host gives a method: input geometry, the single-process comm and a
// make_backbone that builds a new FlatBackbone on each call (online and target networks).
inline BuildContext method_context(int64_t channels, int64_t size, int64_t features = 32) {
  BuildContext ctx;
  ctx.role = "method";
  ctx.input_channels = channels;
  ctx.input_size = size;
  ctx.comm = make_local_comm();
  ctx.make_backbone = [=]() -> std::shared_ptr<Backbone> {
    return std::make_shared<FlatBackbone>(channels, size, features);
  };
  return ctx;
}

// A batch of `views` noisy views [n, channels, size, size] of the same random images, from the
// global generator (call at::manual_seed first), labels -1 and indices 0..n-1 as the host sends.
inline Batch random_views(int64_t n, int64_t channels, int64_t size, int64_t views = 2) {
  const at::Tensor x = at::randn({n, channels, size, size});
  Batch batch;
  for (int64_t v = 0; v < views; ++v) {
    batch.views.push_back(x + 0.3 * at::randn_like(x));
    batch.view_group.push_back(0);
  }
  batch.labels = at::full({n}, -1, at::kLong);
  batch.indices = at::arange(n, at::kLong);
  return batch;
}

}  // namespace ssl::sdk::testing
