// `ssl-host new`: the files it writes, the names it refuses, and that it writes all or nothing.
#include <catch2/catch.hpp>

#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "diagnostics.h"
#include "scaffold/scaffold.h"

using namespace ssl::host;
namespace fs = std::filesystem;

TEST_CASE("a new plugin project has its five files with the name and class filled in") {
  for (const std::string kind : {"method", "augmentation", "backbone", "evaluator"}) {
    const auto files = scaffold_files(kind, "soft_nn");
    REQUIRE(files.size() == 5);
    CHECK(files[1].path == "soft_nn.cpp");
    CHECK(files[2].path == "soft_nn_test.cpp");
    CHECK(files[3].path == "soft_nn.toml");
    for (const auto& f : files) {
      INFO(kind << " " << f.path);
      CHECK(f.text.find('@') == std::string::npos);  // every placeholder filled
    }
    CHECK_THAT(files[1].text, Catch::Contains("class SoftNn final") &&
                                  Catch::Contains("SSL_PLUGIN_DEFINE(soft_nn, \"0.1.0\", soft_nn::register_components)"));
    CHECK_THAT(files[0].text, Catch::Contains("ssl_add_plugin(soft_nn SOURCES soft_nn.cpp ENTRY soft_nn.cpp)"));
    CHECK_THAT(files[3].text, Catch::Contains("type = \"soft_nn\""));
  }
}

TEST_CASE("ssl-host new refuses unknown kinds and names that are not lower_snake_case identifiers") {
  CHECK_THROWS_AS(scaffold_files("widget", "x"), UsageError);
  for (const std::string bad : {"", "MyMethod", "2loss", "my-loss", "new", "ssl", "my loss"})
    CHECK_THROWS_WITH(scaffold_files("method", bad), Catch::Contains("is not usable: use lower_snake_case"));
  CHECK_NOTHROW(scaffold_files("method", "dcl2_w"));
}

TEST_CASE("ssl-host new writes into an empty folder and never over an existing one") {
  const fs::path d = fs::temp_directory_path() / ("ssl_scaffold_" + std::to_string(::getpid()));
  fs::remove_all(d);
  fs::create_directories(d / "empty");
  const fs::path made = write_scaffold("method", "my_loss", (d / "empty").string());
  CHECK(fs::exists(made / "my_loss.cpp"));
  CHECK(!fs::exists(d / ".empty.new"));
  std::ifstream cpp(made / "my_loss.cpp");
  CHECK(cpp.good());
  CHECK_THROWS_WITH(write_scaffold("method", "my_loss", (d / "empty").string()),
                    Catch::Contains("exists and is not an empty folder"));
  fs::remove_all(d);
}
