#pragma once
// `ssl-host new KIND NAME [DIR]`: writes a buildable out-of-tree plugin project, the way
// `cargo new` starts a crate: CMakeLists.txt, the one-file component NAME.cpp with its key, a
// Catch2 test through the static twin, a pipeline that uses the component and a README.
#include <filesystem>
#include <string>
#include <vector>

namespace ssl::host {

struct ScaffoldFile {
  std::string path;  // relative to the project folder
  std::string text;
};

// The files of a new plugin project; kind: method | augmentation | backbone | evaluator.
// Throws UsageError for an unknown kind or a name that is not a lower_snake_case identifier.
std::vector<ScaffoldFile> scaffold_files(const std::string& kind, const std::string& name);

// Writes them into `dir` (default ./NAME), which must not exist or be empty; all files or none.
// Returns the folder written.
std::filesystem::path write_scaffold(const std::string& kind, const std::string& name, const std::string& dir);

// The template texts, with @name@ (the snake_case name) and @Class@ (its PascalCase) to fill.
const char* scaffold_component_template(const std::string& kind);
std::string scaffold_test_template(const std::string& kind);
const char* scaffold_pipeline_template(const std::string& kind);
const char* scaffold_cmake_template();
const char* scaffold_readme_template();

}  // namespace ssl::host
