// libFuzzer target: the pipeline loader, TOML text -> validated pipeline, with every shipped
// plugin's schemas (static twins). Input: a pipeline file written as pipelines/fuzz.toml in a
// copy of the source tree's pipelines/ and configs/ (so `include`s of the shipped fragments
// resolve); lines "#set KEY=VALUE" (TOML comments) are also applied as --set overrides.
// A study file goes to the study parser instead. Besides "only clear errors", the target
// checks that a resolved pipeline, written with to_toml and loaded again, is the same pipeline.
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "config_tree.h"
#include "diagnostics.h"
#include "fuzz_util.h"
#include "pipeline.h"
#include "registry.h"
#include "ssl/sdk/error.h"
#include "ssl/sdk/plugin_api.h"
#include "study.h"

// SSL_FUZZ_PLUGINS: SSL_X(name) for every plugin folder (tests/fuzz/CMakeLists.txt).
#define SSL_X(NAME) SSL_PLUGIN_DECLARE_STATIC(NAME);
SSL_FUZZ_PLUGINS
#undef SSL_X

namespace fs = std::filesystem;

namespace {
const ssl::host::Registry& registry() {
  static const ssl::host::Registry r = [] {
    ssl::host::Registry reg;
#define SSL_X(NAME) reg.load_static(ssl_static_plugin_info_##NAME());
    SSL_FUZZ_PLUGINS
#undef SSL_X
    return reg;
  }();
  return r;
}

// The scratch copy of pipelines/*.toml and configs/**/*.toml; returns its pipelines/ folder.
const fs::path& pipelines_dir() {
  static const fs::path dir = [] {
    const fs::path& root = ssl::fuzz::scratch("pipeline");
    for (const char* sub : {"pipelines", "configs"}) {
      const fs::path from = fs::path(SSL_FUZZ_SOURCE_DIR) / sub;
      for (const auto& e : fs::recursive_directory_iterator(from)) {
        if (!e.is_regular_file() || e.path().extension() != ".toml") continue;
        const fs::path to = root / sub / fs::relative(e.path(), from);
        fs::create_directories(to.parent_path());
        fs::copy_file(e.path(), to, fs::copy_options::overwrite_existing);
      }
    }
    return root / "pipelines";
  }();
  return dir;
}

std::string without_comments(const std::string& toml) {
  std::istringstream in(toml);
  std::string out;
  for (std::string line; std::getline(in, line);)
    if (line.rfind('#', 0) != 0) out += line + "\n";
  return out;
}

std::vector<std::string> set_lines(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);)
    if (line.rfind("#set ", 0) == 0) out.push_back(line.substr(5));
  return out;
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace ssl::host;
  const std::string text(reinterpret_cast<const char*>(data), size);
  const fs::path file = pipelines_dir() / "fuzz.toml";
  ssl::fuzz::write_text(file, text);
  std::string resolved;
  try {
    Node root = load_document(file);
    if (is_study(root)) {
      (void)parse_study(root, file);
      return 0;
    }
    resolved = to_toml(resolve_with_overrides(std::move(root), registry(), file, set_lines(text)));
  } catch (const ConfigError& e) {
    ssl::fuzz::expect_message(e.what());
    return 0;
  } catch (const UsageError& e) {
    ssl::fuzz::expect_message(e.what());
    return 0;
  } catch (const ssl::sdk::Error& e) {
    ssl::fuzz::expect_message(e.what());
    return 0;
  }
  // The round trip: what `run` records as pipeline.resolved.toml must load as the same pipeline.
  const fs::path again_file = pipelines_dir() / "fuzz.resolved.toml";
  ssl::fuzz::write_text(again_file, resolved);
  std::string again;
  try {
    again = to_toml(load_pipeline(registry(), again_file, {}));
  } catch (const std::exception& e) {
    std::fprintf(stderr, "fuzz: the resolved pipeline does not load again: %s\n--- resolved:\n%s\n", e.what(),
                 resolved.c_str());
    std::abort();
  }
  // (The first comment lines name the file each was generated from.)
  if (without_comments(again) != without_comments(resolved)) {
    std::fprintf(stderr, "fuzz: the resolved pipeline changes when loaded again\n--- first:\n%s\n--- again:\n%s\n",
                 resolved.c_str(), again.c_str());
    std::abort();
  }
  return 0;
}
