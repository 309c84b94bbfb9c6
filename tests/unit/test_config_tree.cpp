#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>

#include "config_tree.h"

using namespace ssl::host;
namespace fs = std::filesystem;

namespace {
fs::path temp_dir(const std::string& name) {
  fs::path d = fs::temp_directory_path() / ("ssl_host_test_" + name + "_" + std::to_string(::getpid()));
  fs::remove_all(d);
  fs::create_directories(d);
  return d;
}
void write(const fs::path& p, const std::string& text) {
  fs::create_directories(p.parent_path());
  std::ofstream(p) << text;
}
}  // namespace

TEST_CASE("included fragments merge under the including file, later wins") {
  const fs::path d = temp_dir("include");
  write(d / "configs/a.toml", "[method]\ntype = \"a\"\ntemperature = 0.1\nk = 5\n");
  write(d / "configs/b.toml", "[method]\nk = 7\n");
  write(d / "p.toml", "include = [\"configs/a.toml\", \"configs/b.toml\"]\n[method]\ntemperature = 0.3\n");
  Node root = load_document(d / "p.toml");
  const Node* m = root.find("method");
  REQUIRE(m != nullptr);
  CHECK(std::get<std::string>(m->find("type")->value) == "a");
  CHECK(std::get<int64_t>(m->find("k")->value) == 7);
  CHECK(std::get<double>(m->find("temperature")->value) == 0.3);
  CHECK(m->find("temperature")->pos.line == 3);
  CHECK(root.find("include") == nullptr);
}

TEST_CASE("a TOML syntax error names the file, line and column") {
  const fs::path d = temp_dir("syntax");
  write(d / "bad.toml", "name = \"x\"\n[method\ntype = 1\n");
  try {
    load_document(d / "bad.toml");
    FAIL("expected an error");
  } catch (const ConfigError& e) {
    REQUIRE(e.diagnostics().size() == 1);
    CHECK(e.diagnostics()[0].pos.file == (d / "bad.toml").string());
    CHECK(e.diagnostics()[0].pos.line == 2);
    CHECK_THAT(e.diagnostics()[0].message, Catch::StartsWith("TOML syntax error"));
  }
}

TEST_CASE("include cycles and missing includes are reported at the include line") {
  const fs::path d = temp_dir("cycle");
  write(d / "a.toml", "include = [\"b.toml\"]\n");
  write(d / "b.toml", "include = [\"a.toml\"]\n");
  CHECK_THROWS_WITH(load_document(d / "a.toml"), Catch::Contains("include cycle"));
  write(d / "c.toml", "\ninclude = [\"missing.toml\"]\n");
  try {
    load_document(d / "c.toml");
    FAIL("expected an error");
  } catch (const ConfigError& e) {
    CHECK(e.diagnostics()[0].pos.line == 2);
    CHECK_THAT(e.diagnostics()[0].message, Catch::Contains("missing.toml"));
  }
  CHECK_THROWS_WITH(load_document(d / "nope.toml"), Catch::Contains("pipeline file not found"));
}

TEST_CASE("overrides create tables, index arrays of tables and keep the raw text") {
  const fs::path d = temp_dir("set");
  write(d / "p.toml", "[[views]]\ncount = 2\n[[views]]\ncount = 6\n");
  Node root = load_document(d / "p.toml");
  apply_override(root, "backbone.type=resnet18");
  apply_override(root, "views.1.count=4");
  const Node* type = root.find("backbone")->find("type");
  CHECK(type->raw.value() == "resnet18");
  CHECK(std::get<std::string>(type->value) == "resnet18");
  CHECK(root.find("views")->array[1].find("count")->raw.value() == "4");
  CHECK_THROWS_WITH(apply_override(root, "views.5.count=1"), Catch::Contains("index 5 is out of range"));
  CHECK_THROWS_WITH(apply_override(root, "novalue"), Catch::Contains("expected KEY=VALUE"));
}

TEST_CASE("an override of another component type replaces the table, the same type keeps its keys") {
  const fs::path d = temp_dir("set_retype");
  write(d / "p.toml", "[backbone]\ntype = \"tiny_cnn\"\nwidth = 16\n");
  Node root = load_document(d / "p.toml");
  apply_override(root, "backbone.type=tiny_cnn");
  CHECK(root.find("backbone")->find("width") != nullptr);
  apply_override(root, "backbone.type=pixels");
  CHECK(root.find("backbone")->find("width") == nullptr);
  apply_override(root, "backbone.size=28");
  CHECK(root.find("backbone")->table.size() == 2);
  apply_override(root, "name=type");  // a top-level key named like a value is not a component
  CHECK(root.find("name") != nullptr);
}

TEST_CASE("override text is typed by the declared type") {
  using ssl::sdk::Value;
  using ssl::sdk::ValueType;
  CHECK(std::get<std::string>(*parse_raw_as("123", ValueType::String)) == "123");
  CHECK(std::get<double>(*parse_raw_as("3", ValueType::Float)) == 3.0);
  CHECK(std::get<std::vector<double>>(*parse_raw_as("[0.2, 1]", ValueType::FloatList)) == std::vector<double>{0.2, 1.0});
  CHECK_FALSE(parse_raw_as("abc", ValueType::Int).has_value());
  CHECK(std::get<bool>(*parse_raw_as("false", ValueType::Bool)) == false);
}

TEST_CASE("an included component table is replaced, not merged, when the type changes") {
  const fs::path d = temp_dir("retype");
  write(d / "base.toml", "[backbone]\ntype = \"tiny_cnn\"\nwidth = 16\n");
  write(d / "p.toml", "include = [\"base.toml\"]\n[backbone]\ntype = \"resnet18\"\nstem = \"cifar\"\n");
  Node root = load_document(d / "p.toml");
  const Node* b = root.find("backbone");
  CHECK(std::get<std::string>(b->find("type")->value) == "resnet18");
  CHECK(b->find("width") == nullptr);
  CHECK(b->find("stem") != nullptr);
}
