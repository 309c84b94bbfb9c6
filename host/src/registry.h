#pragma once
// The component registry: every component of every loaded plugin, with the plugin it came
// from. Objects it creates are pinned to their library (the returned shared_ptr keeps the
// library loaded), and libraries are never unloaded during a run.
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "ssl/sdk/plugin_api.h"
#include "ssl/sdk/registrar.h"

namespace ssl::host {

struct PluginRecord {
  std::string name, version;
  std::filesystem::path path;     // file, or "<static>" for static twins
  std::shared_ptr<void> library;  // keeps the shared library loaded (null for static twins)
};

struct ComponentEntry {
  sdk::ComponentSpec spec;
  std::shared_ptr<const PluginRecord> plugin;
  sdk::Kind kind() const { return spec.kind(); }
  std::string id() const;  // "method/simclr"
};

class Registry {
 public:
  // Loads one plugin library (checks entry symbol, ABI version, fingerprint; runs its
  // register callback). Throws PluginLoadError naming the file and the problem.
  void load_file(const std::filesystem::path& path);
  // Registers a statically linked plugin (tests).
  void load_static(const SslPluginInfo* info);

  const ComponentEntry* find(sdk::Kind kind, const std::string& name) const;
  std::vector<const ComponentEntry*> list(std::optional<sdk::Kind> kind = std::nullopt) const;
  std::vector<std::string> names(sdk::Kind kind) const;
  const std::vector<std::shared_ptr<const PluginRecord>>& plugins() const { return plugins_; }

  // Creates a component; the result is pinned to its plugin library.
  template <class T>
  std::shared_ptr<T> create(const ComponentEntry& entry, const sdk::Config& config,
                            const sdk::BuildContext& ctx) const {
    const auto& factory = std::get<sdk::FactoryOf<T>>(entry.spec.factory);
    return pin(factory(config, ctx), entry.plugin);
  }

  template <class T>
  static std::shared_ptr<T> pin(std::shared_ptr<T> object, std::shared_ptr<const PluginRecord> plugin) {
    if (!object) return object;
    struct Holder {
      std::shared_ptr<const PluginRecord> plugin;  // destroyed last
      std::shared_ptr<T> object;                   // destroyed first
    };
    auto holder = std::make_shared<Holder>(Holder{std::move(plugin), object});
    return std::shared_ptr<T>(holder, object.get());
  }

 private:
  void register_plugin(const SslPluginInfo* info, std::shared_ptr<const PluginRecord> record);
  std::vector<std::shared_ptr<const PluginRecord>> plugins_;
  std::vector<ComponentEntry> entries_;
};

// Keys the host owns in every component table of a kind ("type", dataset subsetting, ...);
// a plugin schema may not declare them.
std::vector<std::string> reserved_keys(sdk::Kind kind);

}  // namespace ssl::host
