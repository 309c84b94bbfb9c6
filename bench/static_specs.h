#pragma once
// The component specs of statically linked plugin twins, looked up by kind and name: how the
// training benchmarks build a method exactly as the host would, without a Registry.
#include <string>
#include <utility>
#include <vector>

#include "ssl/sdk/error.h"
#include "ssl/sdk/registrar.h"

namespace ssl::bench {

struct StaticSpecs final : ssl::sdk::Registrar {
  std::vector<ssl::sdk::ComponentSpec> all;
  void add(ssl::sdk::ComponentSpec spec) override { all.push_back(std::move(spec)); }
  const ssl::sdk::ComponentSpec& get(ssl::sdk::Kind kind, const std::string& name) const {
    for (const auto& s : all)
      if (s.kind() == kind && s.name == name) return s;
    SSL_FAIL("no ", ssl::sdk::kind_name(kind), " named ", name);
  }
};

}  // namespace ssl::bench
