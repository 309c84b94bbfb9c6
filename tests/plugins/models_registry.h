#pragma once
// Test helper: the components of backbone_resnet, backbone_simple, method_contrastive and
// method_noncontrastive,
// reached through their static twins' register_components(), built from schema defaults
// plus the given overrides.
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "ssl/sdk/backbone.h"
#include "ssl/sdk/error.h"
#include "ssl/sdk/method.h"
#include "ssl/sdk/plugin_api.h"
#include "ssl/sdk/registrar.h"

SSL_PLUGIN_DECLARE_STATIC(backbone_resnet);
SSL_PLUGIN_DECLARE_STATIC(backbone_simple);
SSL_PLUGIN_DECLARE_STATIC(method_contrastive);
SSL_PLUGIN_DECLARE_STATIC(method_noncontrastive);

namespace models_test {

using Values = std::map<std::string, ssl::sdk::Value>;

class ModelsRegistry final : public ssl::sdk::Registrar {
 public:
  ModelsRegistry() {
    ssl_static_plugin_info_backbone_resnet()->register_components(*this);
    ssl_static_plugin_info_backbone_simple()->register_components(*this);
    ssl_static_plugin_info_method_contrastive()->register_components(*this);
    ssl_static_plugin_info_method_noncontrastive()->register_components(*this);
  }
  void add(ssl::sdk::ComponentSpec spec) override { specs_.push_back(std::move(spec)); }

  const ssl::sdk::ComponentSpec& spec(ssl::sdk::Kind kind, const std::string& name) const {
    for (const auto& s : specs_)
      if (s.kind() == kind && s.name == name) return s;
    SSL_FAIL("no ", ssl::sdk::kind_name(kind), " named ", name);
  }

  std::shared_ptr<ssl::sdk::Backbone> backbone(const std::string& name, const Values& values,
                                               const ssl::sdk::BuildContext& ctx) const {
    const auto& s = spec(ssl::sdk::Kind::Backbone, name);
    return std::get<2>(s.factory)(s.schema.resolve(values, "backbone " + name), ctx);
  }

  std::shared_ptr<ssl::sdk::Method> method(const std::string& name, const Values& values,
                                           const ssl::sdk::BuildContext& ctx) const {
    const auto& s = spec(ssl::sdk::Kind::Method, name);
    return std::get<3>(s.factory)(s.schema.resolve(values, "method " + name), ctx);
  }

 private:
  std::vector<ssl::sdk::ComponentSpec> specs_;
};

}  // namespace models_test
