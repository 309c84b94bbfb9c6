#pragma once
// Where ssl-host's own files are: the executable's folder, and the folders holding the shipped
// pipelines (share/ssl-host/pipelines when installed; the source tree's pipelines/ in a build
// tree). A pipeline copied out of pipelines/ keeps working: its relative includes
// ("../configs/augment/...") are looked up as if it still sat in one of these folders.
#include <filesystem>
#include <vector>

namespace ssl::host {

std::filesystem::path executable_dir();
// The shipped pipelines folders that exist, installed first.
std::vector<std::filesystem::path> shipped_pipeline_dirs();

}  // namespace ssl::host
