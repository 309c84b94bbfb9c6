#pragma once
// Whole-file writes that never leave a half-written file in place of a good one: a temporary
// file in the same folder, every write checked, fsync, rename over the target, fsync of the
// folder. A crash or a full disk leaves the previous file (or none) and the error names the file.
#include <filesystem>
#include <vector>

namespace ssl::host {

void write_file_atomic(const std::filesystem::path& path, const std::vector<char>& bytes);
std::vector<char> read_file(const std::filesystem::path& path);

}  // namespace ssl::host
