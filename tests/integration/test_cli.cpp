// The CLI as a user meets it: list, describe, validate, and every bad-input case with its exit code.
#include <catch2/catch.hpp>

#include <regex>
#include <sstream>
#include <string>

#include "run_host.h"

using namespace ssl::test;
namespace fs = std::filesystem;

namespace {
std::string smoke() { return shell_quote(source_dir() + "/pipelines/smoke.toml"); }

fs::path write_file(const fs::path& dir, const std::string& name, const std::string& text) {
  std::ofstream(dir / name) << text;
  return dir / name;
}
}  // namespace

TEST_CASE("list shows components of all five kinds with their plugin and doc line") {
  auto r = run_host("list");
  REQUIRE(r.code == 0);
  for (const char* id : {"dataset/idx", "augmentation/random_resized_crop", "backbone/resnet18", "method/simclr", "evaluator/knn"}) {
    CHECK_THAT(r.out, Catch::Contains(id));
  }
  // One line per component. Matched line by line: a pattern spanning the whole output makes
  // libstdc++'s recursive regex executor overflow the stack under ASan (one frame per character).
  std::istringstream lines(r.out);
  bool simclr_line = false;
  for (std::string line; std::getline(lines, line);)
    simclr_line = simclr_line || std::regex_match(line, std::regex("method/simclr +method_contrastive 0\\.1\\.0 +SimCLR.*"));
  CHECK(simclr_line);
  auto only = run_host("list backbone");
  CHECK(only.code == 0);
  CHECK_THAT(only.out, !Catch::Contains("method/"));
  auto bad = run_host("list widgets");
  CHECK(bad.code == 2);
  CHECK_THAT(bad.err, Catch::Contains("unknown kind 'widgets'"));
}

TEST_CASE("describe matches its golden file") {
  auto r = run_host("describe augmentation/horizontal_flip");
  REQUIRE(r.code == 0);
  const std::string normalised = std::regex_replace(r.out, std::regex("file: +[^\\n]*"), "file:   <plugin file>");
  CHECK(normalised == slurp(source_dir() + "/tests/integration/golden/describe_horizontal_flip.txt"));
}

TEST_CASE("describe of an unknown component lists what exists") {
  auto r = run_host("describe method/simclrr");
  CHECK(r.code == 2);
  CHECK_THAT(r.err, Catch::Contains("no method named 'simclrr'; available:") && Catch::Contains("simclr"));
  CHECK(run_host("describe simclr").code == 2);
}

TEST_CASE("describe pipeline prints the host sections") {
  auto r = run_host("describe pipeline");
  REQUIRE(r.code == 0);
  CHECK_THAT(r.out, Catch::Contains("[optimizer]") && Catch::Contains("warmup_epochs") && Catch::Contains("imbalance_ratio"));
}

TEST_CASE("validate prints the resolved pipeline, which validates again") {
  const fs::path d = scratch_dir("validate");
  auto r = run_host("validate " + smoke() + " --set method.temperature=0.5 --set backbone.width=8");
  REQUIRE(r.code == 0);
  CHECK_THAT(r.out, Catch::Contains("temperature = 0.5") && Catch::Contains("[trainer]") && Catch::Contains("log_every = 2"));
  CHECK_THAT(r.err, Catch::Contains("valid"));
  write_file(d, "resolved.toml", r.out);
  auto again = run_host("validate " + shell_quote((d / "resolved.toml").string()));
  CHECK(again.code == 0);
  CHECK(again.out.substr(again.out.find('\n', again.out.find("Generated"))) ==
        r.out.substr(r.out.find('\n', r.out.find("Generated"))));
}

TEST_CASE("every pipeline and study in pipelines/ validates") {
  // From an empty folder: a study's plan looks at runs/ below the working directory, and the
  // run folders a developer has there are not the shipped files' business.
  const fs::path cwd = scratch_dir("validate_shipped");
  size_t checked = 0;
  for (const auto& entry : fs::directory_iterator(fs::path(source_dir()) / "pipelines")) {
    if (entry.path().extension() != ".toml") continue;
    INFO(entry.path().filename().string());
    auto r = run_host("validate " + shell_quote(entry.path().string()), cwd);
    INFO(r.err);
    CHECK(r.code == 0);
    ++checked;
  }
  CHECK(checked >= 18);
}

TEST_CASE("every configuration error is reported at once with positions and exit code 2") {
  const fs::path d = scratch_dir("errors");
  write_file(d, "bad.toml", R"(include = [")" + source_dir() + R"(/pipelines/smoke.toml"]
name = "bad"

[method]
type = "simclr"
temprature = 0.1

[backbone]
type = "tiny_cnn"
width = 0

[trainer]
epochs = "ten"
)");
  auto r = run_host("validate " + shell_quote((d / "bad.toml").string()) + " --set optimizer.lr=-1");
  CHECK(r.code == 2);
  CHECK_THAT(r.err, Catch::Contains("bad.toml:6:1: unknown key 'temprature' in [method] (method simclr); did you mean 'temperature'?"));
  CHECK_THAT(r.err, Catch::Contains("bad.toml:10:1: 'width' in [backbone] (backbone tiny_cnn) must be"));
  CHECK_THAT(r.err, Catch::Contains("bad.toml:13:1: 'epochs' in [trainer] expected int"));
  CHECK_THAT(r.err, Catch::Contains("--set optimizer.lr: 'lr' in [optimizer] must be > 0"));
  CHECK_THAT(r.err, Catch::Contains("4 errors"));
  CHECK_THAT(r.err, !Catch::Contains("terminate"));
}

TEST_CASE("validate refuses a view count the method does not take, as run does, with exit code 2") {
  const fs::path d = scratch_dir("view_count");
  const fs::path file = write_file(d, "three.toml", "include = [\"" + source_dir() + "/pipelines/smoke.toml\"]\n");
  const std::string output = " --output " + shell_quote((d / "run").string());
  for (const std::string verb : {"validate", "run"}) {
    INFO(verb);
    auto r = run_host(verb + " " + shell_quote(file.string()) + " --set views.0.count=3" + (verb == "run" ? output : ""));
    CHECK(r.code == 2);
    CHECK_THAT(r.err, Catch::Contains("smoke.toml:") &&
                          Catch::Contains("method simclr needs 2 views per image, the [[views]] groups produce 3"));
  }
  CHECK_FALSE(fs::exists(d / "run"));
}

TEST_CASE("bad input files fail with one readable line and exit code 2") {
  const fs::path d = scratch_dir("badfiles");
  auto missing = run_host("validate " + shell_quote((d / "nope.toml").string()));
  CHECK(missing.code == 2);
  CHECK_THAT(missing.err, Catch::Contains("pipeline file not found") && Catch::Contains("nope.toml"));

  write_file(d, "syntax.toml", "name = \"x\"\n[data\n");
  auto syntax = run_host("validate " + shell_quote((d / "syntax.toml").string()));
  CHECK(syntax.code == 2);
  CHECK_THAT(syntax.err, Catch::Contains("syntax.toml:2:") && Catch::Contains("TOML syntax error"));

  write_file(d, "unknown.toml", "include = [\"" + source_dir() + "/pipelines/smoke.toml\"]\n[method]\ntype = \"simclrr\"\n");
  auto unknown = run_host("validate " + shell_quote((d / "unknown.toml").string()));
  CHECK(unknown.code == 2);
  CHECK_THAT(unknown.err, Catch::Contains("unknown.toml:3:1: unknown method 'simclrr'; did you mean 'simclr'?"));
  CHECK_THAT(unknown.err, Catch::Contains("plugins are found through --plugin-path, SSL_PLUGIN_PATH"));
}

TEST_CASE("a failing run writes nothing to the run folder") {
  const fs::path d = scratch_dir("nothing_written");
  auto r = run_host("run " + smoke() + " --output " + shell_quote((d / "run").string()) + " --set trainer.epochs=-1");
  CHECK(r.code == 2);
  CHECK_FALSE(fs::exists(d / "run"));
  write_file(d, "idx.toml", "include = [\"" + source_dir() + "/pipelines/smoke.toml\"]\n[data.train]\ntype = \"idx\"\nroot = \"/nonexistent\"\n");
  auto missing_data = run_host("run " + shell_quote((d / "idx.toml").string()) + " --output " + shell_quote((d / "run2").string()));
  CHECK(missing_data.code == 4);
  CHECK_THAT(missing_data.err, Catch::Contains("[dataset idx | build data.train]") && Catch::Contains("/nonexistent"));
  CHECK_FALSE(fs::exists(d / "run2"));
}

TEST_CASE("usage errors exit with 2 and --help with 0") {
  CHECK(run_host("").code == 2);
  CHECK(run_host("frobnicate").code == 2);
  CHECK(run_host("run").code == 2);
  for (const char* verb : {"list", "describe", "validate", "run", "eval"}) {
    auto r = run_host(std::string(verb) + " --help");
    CHECK(r.code == 0);
    CHECK_THAT(r.out, Catch::Contains("Usage"));
  }
}
