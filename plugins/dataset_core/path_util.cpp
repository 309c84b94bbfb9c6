#include "path_util.h"

#include <zlib.h>

#include <algorithm>
#include <cctype>
#include <fstream>

#include "ssl/sdk/error.h"

namespace ssl::plugins::dataset_core {

namespace fs = std::filesystem;

namespace {
// zlib prefixes its messages with the file name; we name the file ourselves.
std::string zlib_message(gzFile file, const fs::path& path, int& code) {
  std::string msg = gzerror(file, &code);
  const std::string prefix = path.string() + ": ";
  if (msg.compare(0, prefix.size(), prefix) == 0) msg.erase(0, prefix.size());
  return msg;
}
}  // namespace

fs::path resolve_path(const std::string& p, const fs::path& base_dir) {
  fs::path path(p);
  if (path.is_absolute() || base_dir.empty()) return path;
  return base_dir / path;
}

std::vector<uint8_t> read_maybe_gzip(const fs::path& path) {
  SSL_CHECK(is_file(path), "file not found: ", path.string());
  gzFile file = gzopen(path.c_str(), "rb");
  SSL_CHECK(file != nullptr, "cannot open ", path.string());
  gzbuffer(file, 1 << 17);
  std::vector<uint8_t> out;
  std::vector<uint8_t> chunk(1 << 20);
  for (;;) {
    const int n = gzread(file, chunk.data(), static_cast<unsigned>(chunk.size()));
    if (n < 0) {
      int code = 0;
      const std::string msg = zlib_message(file, path, code);
      gzclose(file);
      SSL_FAIL("gzip error in ", path.string(), ": ", msg);
    }
    if (n == 0) break;
    out.insert(out.end(), chunk.begin(), chunk.begin() + n);
  }
  // A stream cut in the middle reads as a short file; zlib reports it on close.
  int code = Z_OK;
  const std::string msg = zlib_message(file, path, code);
  const int close_code = gzclose(file);
  SSL_CHECK(code == Z_OK || code == Z_STREAM_END, "gzip error in ", path.string(), ": ", msg);
  SSL_CHECK(close_code == Z_OK, "gzip error in ", path.string(),
            close_code == Z_BUF_ERROR ? ": unexpected end of compressed data" : ": corrupt stream");
  return out;
}

std::vector<uint8_t> read_binary(const fs::path& path) {
  SSL_CHECK(is_file(path), "file not found: ", path.string());
  std::ifstream in(path, std::ios::binary);
  SSL_CHECK(in.good(), "cannot open ", path.string());
  in.seekg(0, std::ios::end);
  const auto size = static_cast<size_t>(in.tellg());
  in.seekg(0, std::ios::beg);
  std::vector<uint8_t> out(size);
  if (size > 0) in.read(reinterpret_cast<char*>(out.data()), static_cast<std::streamsize>(size));
  SSL_CHECK(static_cast<size_t>(in.gcount()) == size || size == 0, "short read from ", path.string());
  return out;
}

bool is_file(const fs::path& p) noexcept {
  std::error_code ec;
  return fs::is_regular_file(p, ec);
}

bool is_folder(const fs::path& p) noexcept {
  std::error_code ec;
  return fs::is_directory(p, ec);
}

std::string to_lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

}  // namespace ssl::plugins::dataset_core
