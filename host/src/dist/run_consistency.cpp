#include "dist/run_consistency.h"

#include <zlib.h>

#include <cstdio>
#include <fstream>
#include <sstream>
#include <vector>

#include "ssl/sdk/error.h"

namespace ssl::host {

namespace {
std::string file_crc(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return "unreadable";
  uLong crc = crc32(0L, Z_NULL, 0);
  std::vector<char> buf(1 << 16);
  while (in) {
    in.read(buf.data(), static_cast<std::streamsize>(buf.size()));
    crc = crc32(crc, reinterpret_cast<const Bytef*>(buf.data()), static_cast<uInt>(in.gcount()));
  }
  char hex[9];
  std::snprintf(hex, sizeof(hex), "%08lx", crc & 0xffffffffUL);
  return hex;
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

std::string quoted(const std::vector<std::string>& lines, size_t i) {
  return i < lines.size() ? "'" + lines[i] + "'" : "(nothing)";
}
}  // namespace

std::string plugin_identity(const Registry& registry) {
  std::string out;
  for (const auto& p : registry.plugins()) {
    const bool file = p->library != nullptr;
    out += p->name + " " + p->version + " " + (file ? file_crc(p->path) : std::string("<static>")) + "\n";
  }
  return out;
}

void check_same_run(ProcessGroupComm& comm, const std::string& what, const std::string& mine) {
  const std::vector<std::string> all = comm.exchange_text(what, mine);
  for (size_t r = 1; r < all.size(); ++r) {
    if (all[r] == all[0]) continue;
    const auto a = lines_of(all[0]), b = lines_of(all[r]);
    size_t i = 0;
    while (i < a.size() && i < b.size() && a[i] == b[i]) ++i;
    SSL_FAIL("distributed run: rank ", r, "'s ", what, " differs from rank 0's at line ", i + 1, ": ", quoted(b, i),
             " where rank 0 has ", quoted(a, i),
             " (start every rank with the same pipeline, --set options, ssl-host build and plugins)");
  }
}

}  // namespace ssl::host
