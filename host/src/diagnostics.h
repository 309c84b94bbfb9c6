#pragma once
// Source positions and the errors the host reports, each mapped to an exit code.
#include <stdexcept>
#include <string>
#include <vector>

namespace ssl::host {

// Exit codes of ssl-host (documented in docs/architecture.md, "Exit codes").
inline constexpr int kExitOk = 0;
inline constexpr int kExitUsage = 2;       // usage or configuration error
inline constexpr int kExitPluginLoad = 3;  // a plugin could not be loaded
inline constexpr int kExitRuntime = 4;     // an error while running
inline constexpr int kExitInterrupted = 130;  // SIGINT/SIGTERM: checkpoint saved, resumable

struct SourcePos {
  std::string file;  // a path, or "--set" for command-line overrides
  int line = 0, column = 0;
  std::string str() const {
    if (line <= 0) return file;
    return file + ":" + std::to_string(line) + ":" + std::to_string(column);
  }
};

struct Diagnostic {
  SourcePos pos;
  std::string message;
  std::string str() const { return pos.file.empty() ? message : pos.str() + ": " + message; }
};

// A configuration problem (exit code 2); may carry many diagnostics, all reported at once.
class ConfigError : public std::runtime_error {
 public:
  explicit ConfigError(std::vector<Diagnostic> diagnostics);
  explicit ConfigError(const std::string& message);
  const std::vector<Diagnostic>& diagnostics() const { return diagnostics_; }

 private:
  std::vector<Diagnostic> diagnostics_;
};

// A plugin that cannot be loaded (exit code 3).
class PluginLoadError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// A plugin FILE that cannot be used at all (not a shared library, no entry point, another ABI
// or build fingerprint): when the file was found by scanning a plugin folder, ssl-host warns
// and goes on; conflicts between plugins (a duplicate component) stay PluginLoadErrors.
class PluginFileError : public PluginLoadError {
 public:
  using PluginLoadError::PluginLoadError;
};

// What a user reads of an exception: LibTorch's errors without their C++ backtrace
// ("Exception raised from ..."), any other one as it is.
std::string error_message(const std::exception& e);

// A usage error on the command line (exit code 2).
class UsageError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

}  // namespace ssl::host
