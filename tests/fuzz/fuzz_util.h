#pragma once
// Shared by the libFuzzer targets (tests/fuzz/README.md): a scratch folder per fuzzing
// process, file writing, and the rule every target enforces: bad input may only end in the
// clear error ssl-host reports to users (ssl::sdk::Error or the host's ConfigError /
// UsageError, with a message); any other exception escapes and libFuzzer records it as a
// finding, like a crash, a sanitizer report, a leak of time (-timeout) or of memory (-rss_limit_mb).
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

namespace ssl::fuzz {

// <tmp>/ssl_fuzz_<target>_<pid>/, created on first use and removed when the process exits.
inline const std::filesystem::path& scratch(const char* target) {
  struct Dir {
    std::filesystem::path path;
    explicit Dir(const char* t)
        : path(std::filesystem::temp_directory_path() / ("ssl_fuzz_" + std::string(t) + "_" + std::to_string(::getpid()))) {
      std::filesystem::remove_all(path);
      std::filesystem::create_directories(path);
    }
    ~Dir() {
      std::error_code ec;
      std::filesystem::remove_all(path, ec);
    }
  };
  static const Dir dir(target);
  return dir.path;
}

inline void write_bytes(const std::filesystem::path& path, const uint8_t* data, size_t size) {
  std::filesystem::create_directories(path.parent_path());
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
  if (!out) {
    std::perror(("fuzz: cannot write " + path.string()).c_str());
    std::abort();
  }
}

inline void write_text(const std::filesystem::path& path, const std::string& text) {
  write_bytes(path, reinterpret_cast<const uint8_t*>(text.data()), text.size());
}

// A reported error must say something.
inline void expect_message(const char* what) {
  if (what == nullptr || *what == '\0') {
    std::fprintf(stderr, "fuzz: an error without a message\n");
    std::abort();
  }
}

// The input split in two at a little-endian 16-bit length prefix: [len][len bytes][rest].
struct TwoParts {
  std::string first, second;
};
inline TwoParts split_two(const uint8_t* data, size_t size) {
  TwoParts p;
  if (size < 2) return p;
  const size_t len = std::min<size_t>(size - 2, data[0] | (size_t{data[1]} << 8));
  p.first.assign(reinterpret_cast<const char*>(data + 2), len);
  p.second.assign(reinterpret_cast<const char*>(data + 2 + len), size - 2 - len);
  return p;
}

}  // namespace ssl::fuzz
