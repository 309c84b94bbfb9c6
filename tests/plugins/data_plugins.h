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
#include "spec_store.h"

SSL_PLUGIN_DECLARE_STATIC(dataset_core);
SSL_PLUGIN_DECLARE_STATIC(augmentation_core);

namespace ssl_test {

using ssl::test::SpecStore;
using ssl::test::Values;

inline const SpecStore& data_specs() {
  static const SpecStore store{ssl_static_plugin_info_dataset_core(), ssl_static_plugin_info_augmentation_core()};
  return store;
}

inline const ssl::sdk::ComponentSpec& spec(ssl::sdk::Kind kind, const std::string& name) {
  return data_specs().spec(kind, name);
}

inline std::shared_ptr<ssl::sdk::Dataset> make_dataset(const std::string& name, const Values& values,
                                                       const std::filesystem::path& base_dir = {}) {
  ssl::sdk::BuildContext ctx;
  ctx.base_dir = base_dir;
  return data_specs().build<ssl::sdk::Dataset>(ssl::sdk::Kind::Dataset, name, values, ctx);
}

inline std::shared_ptr<ssl::sdk::Augmentation> make_op(const std::string& name, const Values& values = {}) {
  return data_specs().build<ssl::sdk::Augmentation>(ssl::sdk::Kind::Augmentation, name, values);
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
