#include "registry.h"

#include <algorithm>

#include "diagnostics.h"
#include "host_schema.h"
#include "plugin_library.h"

namespace ssl::host {

std::string ComponentEntry::id() const { return std::string(sdk::kind_name(kind())) + "/" + spec.name; }

namespace {
class CollectingRegistrar final : public sdk::Registrar {
 public:
  void add(sdk::ComponentSpec spec) override { specs.push_back(std::move(spec)); }
  std::vector<sdk::ComponentSpec> specs;
};
}  // namespace

void Registry::load_file(const std::filesystem::path& path) {
  LoadedLibrary lib = open_plugin_library(path);
  auto record = std::make_shared<PluginRecord>();
  record->name = lib.info->name ? lib.info->name : "";
  record->version = lib.info->version ? lib.info->version : "";
  record->path = path;
  record->library = lib.handle;
  register_plugin(lib.info, record);
}

void Registry::load_static(const SslPluginInfo* info) {
  auto record = std::make_shared<PluginRecord>();
  record->name = info->name;
  record->version = info->version;
  record->path = "<static>";
  register_plugin(info, record);
}

void Registry::register_plugin(const SslPluginInfo* info, std::shared_ptr<const PluginRecord> record) {
  const std::string where = "plugin '" + record->name + "' (" + record->path.string() + ")";
  for (const auto& p : plugins_) {
    if (p->name == record->name) {
      throw PluginLoadError(where + ": a plugin named '" + record->name + "' is already loaded from " +
                            p->path.string());
    }
  }
  CollectingRegistrar collector;
  try {
    info->register_components(collector);
  } catch (const std::exception& e) {
    throw PluginLoadError(where + ": register_components failed: " + e.what());
  } catch (...) {
    throw PluginLoadError(where + ": register_components threw a non-standard exception");
  }
  std::vector<ComponentEntry> added;
  for (auto& spec : collector.specs) {
    ComponentEntry entry{std::move(spec), record};
    if (entry.spec.name.empty()) throw PluginLoadError(where + ": registers a component with an empty name");
    for (const auto& key : reserved_keys(entry.kind())) {
      if (entry.spec.schema.find(key)) {
        throw PluginLoadError(where + ": component " + entry.id() + " declares the host-reserved key '" + key + "'");
      }
    }
    auto clash = [&](const ComponentEntry& other) {
      return other.kind() == entry.kind() && other.spec.name == entry.spec.name;
    };
    for (const auto* pool : {&entries_, &added}) {
      auto it = std::find_if(pool->begin(), pool->end(), clash);
      if (it != pool->end()) {
        throw PluginLoadError("duplicate component " + entry.id() + ": registered by plugin '" +
                              it->plugin->name + "' (" + it->plugin->path.string() + ") and by " + where);
      }
    }
    added.push_back(std::move(entry));
  }
  plugins_.push_back(record);
  for (auto& e : added) entries_.push_back(std::move(e));
}

const ComponentEntry* Registry::find(sdk::Kind kind, const std::string& name) const {
  for (const auto& e : entries_)
    if (e.kind() == kind && e.spec.name == name) return &e;
  return nullptr;
}

std::vector<const ComponentEntry*> Registry::list(std::optional<sdk::Kind> kind) const {
  std::vector<const ComponentEntry*> out;
  for (const auto& e : entries_)
    if (!kind || e.kind() == *kind) out.push_back(&e);
  std::sort(out.begin(), out.end(), [](const ComponentEntry* a, const ComponentEntry* b) {
    return std::make_pair(int(a->kind()), a->spec.name) < std::make_pair(int(b->kind()), b->spec.name);
  });
  return out;
}

std::vector<std::string> Registry::names(sdk::Kind kind) const {
  std::vector<std::string> out;
  for (const auto* e : list(kind)) out.push_back(e->spec.name);
  return out;
}

std::vector<std::string> reserved_keys(sdk::Kind kind) {
  std::vector<std::string> keys{"type"};
  for (const auto& k : common_component_schema(kind).keys()) keys.push_back(k.name);
  return keys;
}

}  // namespace ssl::host
