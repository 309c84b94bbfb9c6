#pragma once
// Small file helpers shared by the dataset_core components (not part of the SDK contract).
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace ssl::plugins::dataset_core {

// `p` as given if absolute, else resolved against `base_dir` (the pipeline's folder).
std::filesystem::path resolve_path(const std::string& p, const std::filesystem::path& base_dir);

// Reads a whole file, gzip-compressed or plain (zlib reads both transparently).
// Throws sdk::Error naming `path` on open, read or gzip errors.
std::vector<uint8_t> read_maybe_gzip(const std::filesystem::path& path);

// Reads a plain binary file whole. Throws sdk::Error naming `path`.
std::vector<uint8_t> read_binary(const std::filesystem::path& path);

// Whether `p` is a regular file / a directory. Never throws: a name the file system refuses
// (too long, a bad component, no permission) is simply not a file, and the caller's own error
// names it (std::filesystem's throwing overloads would escape as an unexplained exception).
bool is_file(const std::filesystem::path& p) noexcept;
bool is_folder(const std::filesystem::path& p) noexcept;

// Lower-cased copy.
std::string to_lower(std::string s);

}  // namespace ssl::plugins::dataset_core
