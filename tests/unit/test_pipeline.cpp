#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>

#include "config_tree.h"
#include "fake_plugin.h"
#include "pipeline.h"
#include "registry.h"

using namespace ssl::host;
namespace fs = std::filesystem;

namespace {
const char* kGood = R"(name = "demo"
seed = 3

[data]
batch_size = 8

[data.train]
type = "counting"
size = 32

[[views]]
count = 2
[[views.ops]]
type = "noise"

[backbone]
type = "flat"

[method]
type = "pull"
temperature = 0.5

[[evaluators]]
type = "constant"
every = 2
)";

fs::path write_pipeline(const std::string& name, const std::string& text) {
  fs::path d = fs::temp_directory_path() / ("ssl_pipeline_test_" + std::to_string(::getpid()));
  fs::create_directories(d);
  std::ofstream(d / name) << text;
  return d / name;
}

Registry fake_registry() {
  Registry r;
  r.load_static(ssl::test::fake_plugin_info());
  return r;
}

Pipeline resolve(const std::string& text, const std::vector<std::string>& overrides = {}) {
  const fs::path file = write_pipeline("p.toml", text);
  Node root = load_document(file);
  for (const auto& o : overrides) apply_override(root, o);
  static Registry registry = fake_registry();
  return resolve_pipeline(root, registry, file);
}

std::vector<Diagnostic> errors_of(const std::string& text, const std::vector<std::string>& overrides = {}) {
  try {
    resolve(text, overrides);
  } catch (const ConfigError& e) {
    return e.diagnostics();
  }
  return {};
}
}  // namespace

TEST_CASE("a valid pipeline resolves with defaults filled in") {
  Pipeline p = resolve(kGood);
  CHECK(p.name() == "demo");
  CHECK(p.data.get_int("batch_size") == 8);
  CHECK(p.data.get_int("workers") == 1);
  CHECK(p.train_data.config.get_int("size") == 32);
  CHECK(p.train_data.common.get_int("subset") == 0);
  CHECK(p.total_views() == 2);
  CHECK(p.method.config.get_float("temperature") == 0.5);
  CHECK(p.evaluators.at(0).common.get_int("every") == 2);
  CHECK(p.optimizer.get_string("type") == "sgd");
}

TEST_CASE("validation reports every error at once with file, line and column") {
  std::string text = kGood;
  text.replace(text.find("temperature = 0.5"), 17, "temprature = 0.5");
  text.replace(text.find("size = 32"), 9, "size = -1");
  text += "\n[trainer]\nepochs = \"many\"\n";
  const auto errors = errors_of(text);
  REQUIRE(errors.size() == 3);
  CHECK(errors[0].pos.line == 9);
  CHECK_THAT(errors[0].message, Catch::Contains("'size' in [data.train] (dataset counting) must be >= 1, got -1"));
  CHECK(errors[1].pos.line == 21);
  CHECK(errors[1].pos.column == 1);
  CHECK_THAT(errors[1].message, Catch::Contains("unknown key 'temprature'"));
  CHECK_THAT(errors[1].message, Catch::Contains("did you mean 'temperature'?"));
  CHECK_THAT(errors[2].message, Catch::Contains("'epochs' in [trainer] expected int, got string \"many\""));
  CHECK_THAT(errors[2].str(), Catch::Matches(".*p\\.toml:28:1: .*"));
}

TEST_CASE("an unknown component suggests the closest one of its kind") {
  std::string text = kGood;
  text.replace(text.find("type = \"pull\""), 13, "type = \"pul\"");
  const auto errors = errors_of(text);
  REQUIRE(errors.size() == 1);
  CHECK_THAT(errors[0].message, Catch::Contains("unknown method 'pul'; did you mean 'pull'?"));
}

TEST_CASE("missing sections and unknown top-level keys are errors") {
  const auto errors = errors_of("seeds = 1\n");
  REQUIRE(errors.size() == 4);
  CHECK_THAT(errors[0].message, Catch::Contains("unknown key 'seeds' in the pipeline; did you mean 'seed'?"));
  CHECK_THAT(errors[1].message, Catch::Contains("missing [data.train]"));
  CHECK_THAT(errors[2].message, Catch::Contains("missing [backbone]"));
  CHECK_THAT(errors[3].message, Catch::Contains("missing [method]"));
}

TEST_CASE("overrides are typed by the schema and checked like file values") {
  Pipeline p = resolve(kGood, {"method.temperature=2", "data.train.split=test", "backbone.width=4"});
  CHECK(p.method.config.get_float("temperature") == 2.0);
  CHECK(p.train_data.config.get_string("split") == "test");
  CHECK(p.backbone.config.get_int("width") == 4);
  const auto errors = errors_of(kGood, {"method.temperature=hot", "data.train.split=val"});
  REQUIRE(errors.size() == 2);
  CHECK(errors[0].pos.file == "--set data.train.split");
  CHECK_THAT(errors[0].message, Catch::Contains("one of: train, test"));
  CHECK_THAT(errors[1].message, Catch::Contains("expected float, got 'hot'"));
}

TEST_CASE("the resolved pipeline round-trips through TOML") {
  Pipeline p = resolve(kGood, {"method.dims=[3]"});
  const std::string text = to_toml(p);
  Pipeline again = resolve(text);
  CHECK(to_toml(again).substr(text.find('\n', text.find("Generated"))) == text.substr(text.find('\n', text.find("Generated"))));
  CHECK(again.method.config.get_int_list("dims") == std::vector<int64_t>{3});
}
