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

namespace {
// "gcc-12;torch=1.13;..." -> {"compiler": "gcc-12", "torch": "1.13", ...}, in order.
std::vector<std::pair<std::string, std::string>> fingerprint_fields(const std::string& fingerprint) {
  std::vector<std::pair<std::string, std::string>> out;
  size_t start = 0;
  while (start <= fingerprint.size()) {
    const size_t end = std::min(fingerprint.find(';', start), fingerprint.size());
    const std::string part = fingerprint.substr(start, end - start);
    const size_t eq = part.find('=');
    if (eq == std::string::npos) out.emplace_back(out.empty() ? "compiler" : part, out.empty() ? part : "");
    else out.emplace_back(part.substr(0, eq), part.substr(eq + 1));
    start = end + 1;
  }
  return out;
}
}  // namespace

std::string fingerprint_difference(const std::string& expected, const std::string& found) {
  const auto want = fingerprint_fields(expected);
  const auto have = fingerprint_fields(found);
  std::vector<std::string> diffs;
  for (const auto& [key, value] : want) {
    auto it = std::find_if(have.begin(), have.end(), [&k = key](const auto& f) { return f.first == k; });
    if (it == have.end()) diffs.push_back(key + " missing (this ssl-host: " + value + ")");
    else if (it->second != value) diffs.push_back(key + " differs: this ssl-host " + value + ", the plugin " + it->second);
  }
  for (const auto& [key, value] : have) {
    auto it = std::find_if(want.begin(), want.end(), [&k = key](const auto& f) { return f.first == k; });
    if (it == want.end()) diffs.push_back(key + " unknown to this ssl-host (the plugin: " + value + ")");
  }
  if (diffs.empty()) return "the fingerprints differ";
  std::string out;
  for (const auto& d : diffs) out += (out.empty() ? "" : "; ") + d;
  return out;
}

LoadedLibrary open_plugin_library(const fs::path& path) {
  const std::string where = path.string();
  std::error_code exists_ec;
  const fs::file_status st = fs::status(path, exists_ec);
  if (!fs::exists(st)) throw PluginFileError(where + ": no such plugin file");
  if (!fs::is_regular_file(st))
    throw PluginFileError(where + ": not a plugin library (neither a regular file nor a folder of plugins)");

  // Ask the dynamic loader directly first, for its own explanation of a failure
  // ("invalid ELF header", "undefined symbol ..."); then let Boost.DLL own the handle.
  void* probe = ::dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!probe) {
    const char* why = ::dlerror();
    throw PluginFileError(where + ": not a loadable shared library: " + (why ? why : "unknown error"));
  }
  auto lib = std::make_shared<boost::dll::shared_library>();
  boost::dll::fs::error_code ec;
  lib->load(path, boost::dll::load_mode::rtld_local | boost::dll::load_mode::rtld_now, ec);
  ::dlclose(probe);  // Boost's handle holds its own reference
  if (ec) throw PluginFileError(where + ": cannot be loaded: " + ec.message());

  if (!lib->has(SSL_PLUGIN_ENTRY_SYMBOL)) {
    throw PluginFileError(where + ": not an ssl-host plugin: the entry symbol '" SSL_PLUGIN_ENTRY_SYMBOL
                                  "' is missing (define it with SSL_PLUGIN_DEFINE)");
  }
  using Entry = const SslPluginInfo*();
  const SslPluginInfo* info = lib->get<Entry>(SSL_PLUGIN_ENTRY_SYMBOL)();
  if (!info) throw PluginFileError(where + ": " SSL_PLUGIN_ENTRY_SYMBOL "() returned null");
  // abi_version is read before anything else: the rest of the struct may differ across versions.
  if (info->abi_version != SSL_SDK_ABI_VERSION) {
    throw PluginFileError(where + ": SDK ABI version mismatch: this ssl-host expects ABI " +
                          std::to_string(SSL_SDK_ABI_VERSION) + ", the plugin was built for ABI " +
                          std::to_string(info->abi_version) + "; rebuild the plugin against this SDK");
  }
  const std::string found = info->fingerprint ? info->fingerprint : "(none)";
  if (found != SSL_SDK_FINGERPRINT) {
    throw PluginFileError(where + ": build fingerprint mismatch: " + fingerprint_difference(SSL_SDK_FINGERPRINT, found) +
                          " (expected '" SSL_SDK_FINGERPRINT "', found '" + found +
                          "'); rebuild the plugin against this ssl-host's SDK with the same compiler, LibTorch and "
                          "OpenCV");
  }
  if (!info->register_components || !info->name) {
    throw PluginFileError(where + ": plugin info lacks a name or a register callback");
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

void add_path(const fs::path& p, bool must_exist, std::vector<PluginFile>& out, std::set<fs::path>& seen) {
  std::error_code ec;
  if (!fs::exists(p, ec)) {
    if (must_exist) throw PluginLoadError("plugin path does not exist: " + p.string());
    return;
  }
  std::vector<fs::path> files;
  const bool scanned = fs::is_directory(p, ec);
  if (scanned) {
    for (const auto& e : fs::directory_iterator(p, ec))
      if (e.is_regular_file() && e.path().extension() == ".so") files.push_back(e.path());
    std::sort(files.begin(), files.end());
  } else {
    files.push_back(p);
  }
  for (const auto& f : files) {
    const fs::path c = fs::weakly_canonical(f, ec);
    if (seen.insert(c).second) out.push_back(PluginFile{ec ? f.lexically_normal() : c, scanned});
  }
}
}  // namespace

namespace {
std::vector<fs::path> default_plugin_dirs() {
  const fs::path exe_dir = boost::dll::program_location().parent_path();
  return {exe_dir / ".." / "plugins",                      // build tree
          exe_dir / ".." / "lib" / "ssl-host" / "plugins"};  // install tree
}
}  // namespace

std::string plugin_search_path_text() {
  const char* env = std::getenv("SSL_PLUGIN_PATH");
  std::string text = "--plugin-path, SSL_PLUGIN_PATH (" + std::string(env ? env : "unset") + ")";
  std::error_code ec;
  for (const auto& d : default_plugin_dirs())
    if (fs::is_directory(d, ec)) text += ", " + fs::weakly_canonical(d, ec).string();
  return text;
}

std::vector<PluginFile> discover_plugins(const std::vector<std::string>& explicit_paths) {
  std::vector<PluginFile> out;
  std::set<fs::path> seen;
  for (const auto& arg : explicit_paths)
    for (const auto& p : split_paths(arg)) add_path(p, true, out, seen);
  if (const char* env = std::getenv("SSL_PLUGIN_PATH"))
    for (const auto& p : split_paths(env)) add_path(p, true, out, seen);
  for (const auto& d : default_plugin_dirs()) add_path(d, false, out, seen);
  return out;
}

}  // namespace ssl::host
