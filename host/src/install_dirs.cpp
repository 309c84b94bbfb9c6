#include "install_dirs.h"

namespace ssl::host {

namespace fs = std::filesystem;

fs::path executable_dir() {
  std::error_code ec;
  const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  return ec ? fs::current_path(ec) : exe.parent_path();
}

std::vector<fs::path> shipped_pipeline_dirs() {
  std::vector<fs::path> candidates{executable_dir() / ".." / "share" / "ssl-host" / "pipelines"};
#ifdef SSL_SOURCE_DIR
  candidates.push_back(fs::path(SSL_SOURCE_DIR) / "pipelines");  // a build tree's own sources
#endif
  std::vector<fs::path> out;
  std::error_code ec;
  for (const auto& c : candidates)
    if (fs::is_directory(c, ec)) out.push_back(fs::weakly_canonical(c, ec));
  return out;
}

}  // namespace ssl::host
