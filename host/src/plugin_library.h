#pragma once
// Opening one plugin file with Boost.DLL: the only code that includes Boost.DLL.
#include <filesystem>
#include <memory>

#include "ssl/sdk/plugin_api.h"

namespace ssl::host {

struct LoadedLibrary {
  std::shared_ptr<void> handle;  // the open library; never unloaded while referenced
  const SslPluginInfo* info = nullptr;
};

// Opens `path` RTLD_LOCAL | RTLD_NOW, finds ssl_plugin_info, and checks the ABI version and
// the build fingerprint against this host's. Throws PluginLoadError naming the file, what was
// expected and what was found.
LoadedLibrary open_plugin_library(const std::filesystem::path& path);

// Every plugin file to load, in order: --plugin-path entries, SSL_PLUGIN_PATH, the build
// tree's plugin folder and the install folder (relative to the executable). Explicitly
// given paths must exist (PluginLoadError otherwise). Directories contribute their *.so files.
std::vector<std::filesystem::path> discover_plugins(const std::vector<std::string>& explicit_paths);

}  // namespace ssl::host
