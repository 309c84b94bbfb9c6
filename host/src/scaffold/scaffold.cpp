#include "scaffold/scaffold.h"

#include <algorithm>
#include <cctype>
#include <fstream>
#include <set>

#include "diagnostics.h"

namespace ssl::host {

namespace fs = std::filesystem;

namespace {

const std::set<std::string>& kinds() {
  static const std::set<std::string> k{"method", "augmentation", "backbone", "evaluator"};
  return k;
}

void check_name(const std::string& name) {
  static const std::set<std::string> reserved{"and", "auto", "class", "const", "delete", "do", "else", "enum",
                                              "for", "if", "int", "namespace", "new", "not", "or", "private",
                                              "public", "return", "static", "struct", "switch", "this", "using",
                                              "void", "while", "ssl", "std", "at", "torch", "cv"};
  const bool shape = !name.empty() && name.size() <= 48 && std::islower(static_cast<unsigned char>(name[0])) &&
                     std::all_of(name.begin(), name.end(), [](char c) {
                       return std::islower(static_cast<unsigned char>(c)) || std::isdigit(static_cast<unsigned char>(c)) || c == '_';
                     });
  if (!shape || reserved.count(name) != 0) {
    throw UsageError("the name '" + name +
                     "' is not usable: use lower_snake_case (a-z, 0-9, _; starting with a letter; not a C++ keyword "
                     "or a namespace the SDK uses), e.g. my_method");
  }
}

std::string pascal_case(const std::string& name) {
  std::string out;
  bool up = true;
  for (char c : name) {
    if (c == '_') {
      up = true;
      continue;
    }
    out += up ? static_cast<char>(std::toupper(static_cast<unsigned char>(c))) : c;
    up = false;
  }
  return out;
}

std::string fill(std::string text, const std::string& kind, const std::string& name) {
  const std::pair<std::string, std::string> subs[] = {{"@name@", name}, {"@Class@", pascal_case(name)}, {"@kind@", kind}};
  for (const auto& [from, to] : subs)
    for (size_t at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size()))
      text.replace(at, from.size(), to);
  return text;
}

}  // namespace

std::vector<ScaffoldFile> scaffold_files(const std::string& kind, const std::string& name) {
  if (kinds().count(kind) == 0)
    throw UsageError("ssl-host new: unknown kind '" + kind + "'; kinds are method, augmentation, backbone, evaluator");
  check_name(name);
  return {{"CMakeLists.txt", fill(scaffold_cmake_template(), kind, name)},
          {name + ".cpp", fill(scaffold_component_template(kind), kind, name)},
          {name + "_test.cpp", fill(scaffold_test_template(kind), kind, name)},
          {name + ".toml", fill(scaffold_pipeline_template(kind), kind, name)},
          {"README.md", fill(scaffold_readme_template(), kind, name)}};
}

fs::path write_scaffold(const std::string& kind, const std::string& name, const std::string& dir) {
  const auto files = scaffold_files(kind, name);
  const fs::path target = fs::absolute(dir.empty() ? fs::path(name) : fs::path(dir));
  std::error_code ec;
  if (fs::exists(target, ec) && !(fs::is_directory(target, ec) && fs::is_empty(target, ec)))
    throw UsageError("ssl-host new: " + target.string() + " exists and is not an empty folder; name another DIR");
  // Written into a sibling temp folder first and renamed: a failure (full disk) leaves nothing half-made.
  const fs::path temp = target.parent_path() / ("." + target.filename().string() + ".new");
  fs::remove_all(temp, ec);
  fs::create_directories(temp, ec);
  if (ec) throw std::runtime_error("ssl-host new: cannot create " + temp.string() + ": " + ec.message());
  for (const auto& f : files) {
    std::ofstream out(temp / f.path, std::ios::binary);
    out << f.text;
    out.close();
    if (!out) {
      fs::remove_all(temp, ec);
      throw std::runtime_error("ssl-host new: cannot write " + (temp / f.path).string());
    }
  }
  if (fs::exists(target, ec)) fs::remove(target, ec);  // the empty folder
  fs::rename(temp, target, ec);
  if (ec) {
    fs::remove_all(temp, ec);
    throw std::runtime_error("ssl-host new: cannot create " + target.string());
  }
  return target;
}

}  // namespace ssl::host
