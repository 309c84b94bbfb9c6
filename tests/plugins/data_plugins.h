#pragma once
// Test helper: the dataset_core and augmentation_core static twins, registered once, and
// builders that resolve a component's schema exactly as the host would (defaults + checks).
#include <filesystem>
#include <map>
#include <memory>
#include <random>
#include <string>

#include "ssl/sdk/augmentation.h"
#include "ssl/sdk/dataset.h"
#include "ssl/sdk/error.h"
#include "ssl/sdk/plugin_api.h"
#include "ssl/sdk/registrar.h"

SSL_PLUGIN_DECLARE_STATIC(dataset_core);
SSL_PLUGIN_DECLARE_STATIC(augmentation_core);

namespace ssl_test {

class SpecStore final : public ssl::sdk::Registrar {
 public:
  void add(ssl::sdk::ComponentSpec spec) override {
    specs[{spec.kind(), spec.name}] = std::move(spec);
  }
  std::map<std::pair<ssl::sdk::Kind, std::string>, ssl::sdk::ComponentSpec> specs;
};

inline const SpecStore& data_specs() {
  static const SpecStore store = [] {
    SpecStore s;
    ssl_static_plugin_info_dataset_core()->register_components(s);
    ssl_static_plugin_info_augmentation_core()->register_components(s);
    return s;
  }();
  return store;
}

inline const ssl::sdk::ComponentSpec& spec(ssl::sdk::Kind kind, const std::string& name) {
  const auto& specs = data_specs().specs;
  auto it = specs.find({kind, name});
  SSL_CHECK(it != specs.end(), "test: no component ", name);
  return it->second;
}

using Values = std::map<std::string, ssl::sdk::Value>;

inline std::shared_ptr<ssl::sdk::Dataset> make_dataset(const std::string& name, const Values& values,
                                                       const std::filesystem::path& base_dir = {}) {
  const auto& s = spec(ssl::sdk::Kind::Dataset, name);
  ssl::sdk::BuildContext ctx;
  ctx.base_dir = base_dir;
  return std::get<0>(s.factory)(s.schema.resolve(values, "dataset " + name), ctx);
}

inline std::shared_ptr<ssl::sdk::Augmentation> make_op(const std::string& name, const Values& values = {}) {
  const auto& s = spec(ssl::sdk::Kind::Augmentation, name);
  return std::get<1>(s.factory)(s.schema.resolve(values, "augmentation " + name), {});
}

// A fresh folder under the system temp dir, removed with everything in it at scope exit.
struct TempDir {
  std::filesystem::path path;
  TempDir() {
    std::random_device rd;
    path = std::filesystem::temp_directory_path() / ("ssl_data_test_" + std::to_string(rd()) + std::to_string(rd()));
    std::filesystem::create_directories(path);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
};

// The message of the sdk::Error `fn` throws ("" if it does not throw).
template <class Fn>
std::string error_of(Fn&& fn) {
  try {
    fn();
  } catch (const ssl::sdk::Error& e) {
    return e.what();
  }
  return "";
}

}  // namespace ssl_test
