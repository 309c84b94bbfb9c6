#pragma once
// Runs the built ssl-host (or any command) as a user would and captures its output.
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace ssl::test {

struct CommandResult {
  int code = -1;
  std::string out, err;
};

inline std::string shell_quote(const std::string& s) {
  std::string q = "'";
  for (char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

inline std::filesystem::path scratch_dir(const std::string& name) {
  auto d = std::filesystem::temp_directory_path() / ("ssl_it_" + name + "_" + std::to_string(::getpid()));
  std::filesystem::remove_all(d);
  std::filesystem::create_directories(d);
  return d;
}

inline std::string slurp(const std::filesystem::path& p) {
  std::ifstream in(p);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// Runs `command` with bash in `cwd`; stdout and stderr are captured separately.
inline CommandResult run_command(const std::string& command, const std::filesystem::path& cwd = {}) {
  static int counter = 0;
  const auto base = std::filesystem::temp_directory_path() /
                    ("ssl_cmd_" + std::to_string(::getpid()) + "_" + std::to_string(counter++));
  std::string full = command + " >" + shell_quote(base.string() + ".out") + " 2>" + shell_quote(base.string() + ".err") + " </dev/null";
  if (!cwd.empty()) full = "cd " + shell_quote(cwd.string()) + " && " + full;
  const int status = std::system(("bash -c " + shell_quote(full)).c_str());
  CommandResult r;
  r.code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  r.out = slurp(base.string() + ".out");
  r.err = slurp(base.string() + ".err");
  std::filesystem::remove(base.string() + ".out");
  std::filesystem::remove(base.string() + ".err");
  return r;
}

inline std::string host_binary() { return std::string(SSL_TEST_BINARY_DIR) + "/bin/ssl-host"; }
inline std::string source_dir() { return SSL_TEST_SOURCE_DIR; }
inline std::string fixture(const std::string& name) { return std::string(SSL_TEST_BINARY_DIR) + "/fixtures/" + name; }

// How many times `what` occurs in `s`.
inline size_t count_of(const std::string& s, const std::string& what) {
  size_t n = 0;
  for (size_t p = s.find(what); p != std::string::npos; p = s.find(what, p + 1)) ++n;
  return n;
}

// ssl-host with arguments (already quoted where needed).
inline CommandResult run_host(const std::string& args, const std::filesystem::path& cwd = {}) {
  return run_command(shell_quote(host_binary()) + " " + args, cwd);
}

}  // namespace ssl::test
