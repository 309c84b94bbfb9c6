#pragma once
// Opening one plugin file with Boost.DLL: the only code that includes Boost.DLL.
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

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

// The fields of two build fingerprints that differ, for a reader:
// "sdk-headers differs: this ssl-host 3f2a..., the plugin 9c1e...; torch differs: ...".
std::string fingerprint_difference(const std::string& expected, const std::string& found);

// A plugin file to load, and whether it was named on its own (an error when broken) or found
// by scanning a folder (a broken file there is a warning: it must not stop every command).
struct PluginFile {
  std::filesystem::path path;
  bool scanned = false;
};

// Every plugin file to load, in order: --plugin-path entries, SSL_PLUGIN_PATH, the build
// tree's plugin folder and the install folder (relative to the executable). Explicitly
// given paths must exist (PluginLoadError otherwise). Directories contribute their *.so files.
std::vector<PluginFile> discover_plugins(const std::vector<std::string>& explicit_paths);

// Where ssl-host looks for plugins, for a message: "--plugin-path, SSL_PLUGIN_PATH (unset), /x/plugins".
std::string plugin_search_path_text();

}  // namespace ssl::host
