#pragma once
// Test helper: the components of statically linked plugins (static twins), collected through
// their own register_components() and built the way the host builds them: the schema fills
// defaults and checks the given values first.
#include <initializer_list>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "ssl/sdk/error.h"
#include "ssl/sdk/plugin_api.h"
#include "ssl/sdk/registrar.h"

namespace ssl::test {

using Values = std::map<std::string, sdk::Value>;

class SpecStore : public sdk::Registrar {
 public:
  SpecStore() = default;
  explicit SpecStore(std::initializer_list<const SslPluginInfo*> plugins) {
    for (const SslPluginInfo* p : plugins) p->register_components(*this);
  }
  void add(sdk::ComponentSpec spec) override { specs_.push_back(std::move(spec)); }

  const std::vector<sdk::ComponentSpec>& specs() const { return specs_; }
  const sdk::ComponentSpec& spec(sdk::Kind kind, const std::string& name) const {
    for (const auto& s : specs_)
      if (s.kind() == kind && s.name == name) return s;
    SSL_FAIL("test: no ", sdk::kind_name(kind), " named ", name);
  }

  template <class T>
  std::shared_ptr<T> build(sdk::Kind kind, const std::string& name, const Values& values = {},
                           const sdk::BuildContext& ctx = {}) const {
    const auto& s = spec(kind, name);
    const sdk::Config config = s.schema.resolve(values, std::string(sdk::kind_name(kind)) + " " + name);
    return std::get<sdk::FactoryOf<T>>(s.factory)(config, ctx);
  }

 private:
  std::vector<sdk::ComponentSpec> specs_;
};

}  // namespace ssl::test
