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

// Lower-cased copy.
std::string to_lower(std::string s);

}  // namespace ssl::plugins::dataset_core
