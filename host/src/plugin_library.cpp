#define BOOST_DLL_USE_STD_FS 1
#include "plugin_library.h"

#include <dlfcn.h>

#include <algorithm>
#include <boost/dll/runtime_symbol_info.hpp>
#include <boost/dll/shared_library.hpp>
#include <cstdlib>
#include <cstring>
#include <set>

#include "diagnostics.h"

namespace ssl::host {

namespace fs = std::filesystem;

LoadedLibrary open_plugin_library(const fs::path& path) {
  const std::string where = path.string();
  std::error_code exists_ec;
  if (!fs::is_regular_file(path, exists_ec)) throw PluginLoadError(where + ": no such plugin file");

  // Ask the dynamic loader directly first, for its own explanation of a failure
  // ("invalid ELF header", "undefined symbol ..."); then let Boost.DLL own the handle.
  void* probe = ::dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!probe) {
    const char* why = ::dlerror();
    throw PluginLoadError(where + ": not a loadable shared library: " + (why ? why : "unknown error"));
  }
  auto lib = std::make_shared<boost::dll::shared_library>();
  boost::dll::fs::error_code ec;
  lib->load(path, boost::dll::load_mode::rtld_local | boost::dll::load_mode::rtld_now, ec);
  ::dlclose(probe);  // Boost's handle holds its own reference
  if (ec) throw PluginLoadError(where + ": cannot be loaded: " + ec.message());

  if (!lib->has(SSL_PLUGIN_ENTRY_SYMBOL)) {
    throw PluginLoadError(where + ": not an ssl-host plugin: the entry symbol '" SSL_PLUGIN_ENTRY_SYMBOL
                                  "' is missing (define it with SSL_PLUGIN_DEFINE)");
  }
  using Entry = const SslPluginInfo*();
  const SslPluginInfo* info = lib->get<Entry>(SSL_PLUGIN_ENTRY_SYMBOL)();
  if (!info) throw PluginLoadError(where + ": " SSL_PLUGIN_ENTRY_SYMBOL "() returned null");
  // abi_version is read before anything else: the rest of the struct may differ across versions.
  if (info->abi_version != SSL_SDK_ABI_VERSION) {
    throw PluginLoadError(where + ": SDK ABI version mismatch: this ssl-host expects ABI " +
                          std::to_string(SSL_SDK_ABI_VERSION) + ", the plugin was built for ABI " +
                          std::to_string(info->abi_version) + "; rebuild the plugin against this SDK");
  }
  const char* found = info->fingerprint ? info->fingerprint : "(none)";
  if (std::strcmp(found, SSL_SDK_FINGERPRINT) != 0) {
    throw PluginLoadError(where + ": build fingerprint mismatch: expected '" SSL_SDK_FINGERPRINT "', found '" +
                          std::string(found) + "'; rebuild the plugin with the same compiler, LibTorch and OpenCV");
  }
  if (!info->register_components || !info->name) {
    throw PluginLoadError(where + ": plugin info lacks a name or a register callback");
  }
  return LoadedLibrary{std::static_pointer_cast<void>(lib), info};
}

namespace {
std::vector<std::string> split_paths(const std::string& s) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= s.size()) {
    const size_t colon = s.find(':', start);
    const std::string part = s.substr(start, colon == std::string::npos ? std::string::npos : colon - start);
    if (!part.empty()) out.push_back(part);
    if (colon == std::string::npos) break;
    start = colon + 1;
  }
  return out;
}

void add_path(const fs::path& p, bool must_exist, std::vector<fs::path>& out, std::set<fs::path>& seen) {
  std::error_code ec;
  if (!fs::exists(p, ec)) {
    if (must_exist) throw PluginLoadError("plugin path does not exist: " + p.string());
    return;
  }
  std::vector<fs::path> files;
  if (fs::is_directory(p, ec)) {
    for (const auto& e : fs::directory_iterator(p, ec))
      if (e.is_regular_file() && e.path().extension() == ".so") files.push_back(e.path());
    std::sort(files.begin(), files.end());
  } else {
    files.push_back(p);
  }
  for (const auto& f : files) {
    const fs::path c = fs::weakly_canonical(f, ec);
    if (seen.insert(c).second) out.push_back(ec ? f.lexically_normal() : c);
  }
}
}  // namespace

std::vector<fs::path> discover_plugins(const std::vector<std::string>& explicit_paths) {
  std::vector<fs::path> out;
  std::set<fs::path> seen;
  for (const auto& arg : explicit_paths)
    for (const auto& p : split_paths(arg)) add_path(p, true, out, seen);
  if (const char* env = std::getenv("SSL_PLUGIN_PATH"))
    for (const auto& p : split_paths(env)) add_path(p, true, out, seen);
  const fs::path exe_dir = boost::dll::program_location().parent_path();
  add_path(exe_dir / ".." / "plugins", false, out, seen);                     // build tree
  add_path(exe_dir / ".." / "lib" / "ssl-host" / "plugins", false, out, seen);  // install tree
  return out;
}

}  // namespace ssl::host
