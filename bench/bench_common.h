#pragma once
// Shared pieces of the Fashion-MNIST benchmarks: the static twins of dataset_core and
// augmentation_core in a host Registry, view chains built from an augmentation preset
// (configs/augment/*.toml, read with the host's own TOML loader), the IDX dataset wrapped in
// the host's DatasetView, a median and a tiny flag parser.
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "config_tree.h"
#include "dataset_view.h"
#include "host_schema.h"
#include "loader.h"
#include "registry.h"
#include "ssl/sdk/error.h"

SSL_PLUGIN_DECLARE_STATIC(dataset_core);
SSL_PLUGIN_DECLARE_STATIC(augmentation_core);

namespace ssl::bench {

inline const host::Registry& registry() {
  static const host::Registry r = [] {
    host::Registry reg;
    reg.load_static(ssl_static_plugin_info_dataset_core());
    reg.load_static(ssl_static_plugin_info_augmentation_core());
    return reg;
  }();
  return r;
}

// The view chains of a preset's [[views]] groups, one ViewChain per view (count copies of a
// group share its ops, as in the host's runtime).
inline std::vector<host::ViewChain> chains_from_preset(const std::filesystem::path& preset) {
  const host::Node root = host::load_document(preset);
  const host::Node* views = root.find("views");
  SSL_CHECK(views && views->type == host::Node::Type::TableArray, preset.string(), ": no [[views]] array");
  std::vector<host::ViewChain> chains;
  for (size_t g = 0; g < views->array.size(); ++g) {
    const host::Node& group = views->array[g];
    const host::Node* count = group.find("count");
    const host::Node* ops = group.find("ops");
    SSL_CHECK(ops && ops->type == host::Node::Type::TableArray, preset.string(), ": views ", g, " has no ops");
    std::vector<std::shared_ptr<sdk::Augmentation>> built;
    for (size_t o = 0; o < ops->array.size(); ++o) {
      std::map<std::string, sdk::Value> given;
      std::string type;
      for (const auto& [key, node] : ops->array[o].table) {
        if (key == "type") type = std::get<std::string>(node.value);
        else given[key] = node.value;
      }
      const std::string role = "views." + std::to_string(g) + ".ops." + std::to_string(o);
      const host::ComponentEntry* entry = registry().find(sdk::Kind::Augmentation, type);
      SSL_CHECK(entry, preset.string(), ": ", role, " has unknown augmentation type '", type, "'");
      built.push_back(registry().create<sdk::Augmentation>(*entry, entry->spec.schema.resolve(given, role), {}));
    }
    const int64_t n = count ? std::get<int64_t>(count->value) : 1;
    for (int64_t v = 0; v < n; ++v) chains.push_back({built, static_cast<int64_t>(g), "view group " + std::to_string(g)});
  }
  return chains;
}

// The IDX dataset (Fashion-MNIST layout) in a DatasetView with the default common options.
inline std::shared_ptr<host::DatasetView> idx_view(const std::string& root, const std::string& split) {
  const host::ComponentEntry* entry = registry().find(sdk::Kind::Dataset, "idx");
  const std::string role = "data." + split;
  auto base = registry().create<sdk::Dataset>(
      *entry, entry->spec.schema.resolve({{"root", root}, {"split", split}}, role), {});
  const sdk::Config common = host::common_component_schema(sdk::Kind::Dataset).resolve({}, role);
  return std::make_shared<host::DatasetView>(base, common, 0, "idx [" + role + "]");
}

inline double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

// "--key value" flags over a map of defaults; unknown keys print usage and exit 2.
inline std::map<std::string, std::string> parse_flags(int argc, char** argv, std::map<std::string, std::string> flags) {
  for (int i = 1; i < argc; i += 2) {
    const std::string key = argv[i];
    if (i + 1 >= argc || key.rfind("--", 0) != 0 || !flags.count(key.substr(2))) {
      std::fprintf(stderr, "usage: %s", argv[0]);
      for (const auto& [k, v] : flags) std::fprintf(stderr, " [--%s %s]", k.c_str(), v.c_str());
      std::fprintf(stderr, "\n");
      std::exit(2);
    }
    flags[key.substr(2)] = argv[i + 1];
  }
  return flags;
}

}  // namespace ssl::bench
