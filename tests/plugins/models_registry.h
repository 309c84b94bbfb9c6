#pragma once
// Test helper: the components of backbone_resnet, backbone_simple, method_contrastive,
// method_noncontrastive, method_clustering, method_supervised, method_pretext and method_adaptation,
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
#include "spec_store.h"

SSL_PLUGIN_DECLARE_STATIC(backbone_resnet);
SSL_PLUGIN_DECLARE_STATIC(backbone_simple);
SSL_PLUGIN_DECLARE_STATIC(method_contrastive);
SSL_PLUGIN_DECLARE_STATIC(method_noncontrastive);
SSL_PLUGIN_DECLARE_STATIC(method_clustering);
SSL_PLUGIN_DECLARE_STATIC(method_supervised);
SSL_PLUGIN_DECLARE_STATIC(method_pretext);
SSL_PLUGIN_DECLARE_STATIC(method_adaptation);

namespace models_test {

using ssl::test::Values;

class ModelsRegistry final : public ssl::test::SpecStore {
 public:
  ModelsRegistry()
      : SpecStore{ssl_static_plugin_info_backbone_resnet(), ssl_static_plugin_info_backbone_simple(),
                  ssl_static_plugin_info_method_contrastive(), ssl_static_plugin_info_method_noncontrastive(),
                  ssl_static_plugin_info_method_clustering(), ssl_static_plugin_info_method_supervised(),
                  ssl_static_plugin_info_method_pretext(), ssl_static_plugin_info_method_adaptation()} {}

  std::shared_ptr<ssl::sdk::Backbone> backbone(const std::string& name, const Values& values,
                                               const ssl::sdk::BuildContext& ctx) const {
    return build<ssl::sdk::Backbone>(ssl::sdk::Kind::Backbone, name, values, ctx);
  }
  std::shared_ptr<ssl::sdk::Method> method(const std::string& name, const Values& values,
                                           const ssl::sdk::BuildContext& ctx) const {
    return build<ssl::sdk::Method>(ssl::sdk::Kind::Method, name, values, ctx);
  }
  // The views a method declares for these values (its registered ViewSpec), without building it.
  ssl::sdk::ViewSpec views(const std::string& method, const Values& values = {}) const {
    const auto& s = spec(ssl::sdk::Kind::Method, method);
    return s.views_for(s.schema.resolve(values, "method " + method));
  }
};

}  // namespace models_test
