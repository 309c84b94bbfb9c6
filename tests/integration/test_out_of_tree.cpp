// Plugins built outside the tree, only against the installed SDK, work with the already-built
// ssl-host: the DCL method example, and every project `ssl-host new` writes.
#include <catch2/catch.hpp>

#include "run_host.h"

using namespace ssl::test;
namespace fs = std::filesystem;

namespace {

// cmake --install of this build tree into DIR/prefix; returns the prefix.
std::string install_into(const fs::path& d) {
  const std::string prefix = (d / "prefix").string();
  auto install = run_command("cmake --install " + shell_quote(SSL_TEST_BINARY_DIR) + " --prefix " + shell_quote(prefix));
  INFO(install.out + install.err);
  REQUIRE(install.code == 0);
  REQUIRE(fs::exists(d / "prefix/lib/cmake/ssl_sdk/ssl_sdkConfig.cmake"));
  REQUIRE(fs::exists(d / "prefix/include/ssl/sdk/abi_digest.h"));
  REQUIRE(fs::exists(d / "prefix/share/ssl-host/pipelines/quickstart.toml"));
  REQUIRE(fs::exists(d / "prefix/share/ssl-host/configs/eval/fashion_mnist.toml"));
  return prefix;
}

// Configures and builds an out-of-tree project against `prefix` (ccache when there is one, with
// paths relative to the project so a re-run of the suite compiles nothing), then runs its ctest.
void build_and_test(const fs::path& project, const fs::path& build, const std::string& prefix,
                    const std::string& extra = "") {
  const std::string env = "CCACHE_BASEDIR=" + shell_quote(project.parent_path().string()) + " ";
  auto configure = run_command(env + "cmake -S " + shell_quote(project.string()) + " -B " + shell_quote(build.string()) +
                               " -DCMAKE_BUILD_TYPE=Release -DCMAKE_PREFIX_PATH=" + shell_quote(prefix) +
                               " $(command -v ccache >/dev/null && echo -DCMAKE_CXX_COMPILER_LAUNCHER=ccache) " + extra);
  INFO(configure.out + configure.err);
  REQUIRE(configure.code == 0);
  auto compile = run_command(env + "cmake --build " + shell_quote(build.string()) + " -j2");
  INFO(compile.out + compile.err);
  REQUIRE(compile.code == 0);
  auto test = run_command("ctest --test-dir " + shell_quote(build.string()) + " --output-on-failure");
  INFO(test.out + test.err);
  REQUIRE(test.code == 0);
  CHECK_THAT(test.out, Catch::Contains("100% tests passed"));
}

}  // namespace

TEST_CASE("the out-of-tree DCL method builds against the installed SDK, passes its own test and trains") {
  const fs::path d = scratch_dir("out_of_tree_dcl");
  const std::string prefix = install_into(d);
  // The example is copied, as a user would start from it: nothing may point back into the tree.
  fs::copy(source_dir() + "/examples/method_dcl", d / "method_dcl", fs::copy_options::recursive);
  const fs::path build = d / "method_dcl" / "build";
  build_and_test(d / "method_dcl", build, prefix, "-DDCL_TESTS=ON");
  const std::string plugin = (build / "ssl_method_dcl.so").string();
  REQUIRE(fs::exists(plugin));

  const std::string host = shell_quote(prefix + "/bin/ssl-host");
  auto list = run_command(host + " list method --plugin-path " + shell_quote(plugin));
  CHECK(list.code == 0);
  CHECK_THAT(list.out, Catch::Contains("method/dcl") && Catch::Contains("method_dcl 0.1.0"));
  auto describe = run_command(host + " describe method/dcl --plugin-path " + shell_quote(plugin));
  CHECK(describe.code == 0);
  CHECK_THAT(describe.out, Catch::Contains("temperature") && Catch::Contains("sigma") && Catch::Contains("proj_dim"));

  // The example's pipeline includes the installed quickstart; the backbone is swapped with --set.
  auto run = run_command("SSL_PLUGIN_PATH=" + shell_quote(build.string()) + " " + host + " run dcl_fashion_mnist.toml" +
                             " --set backbone.type=tiny_cnn --set data.batch_size=32 --set trainer.log_every=1 --output " +
                             shell_quote((d / "run").string()) + " --stop-at-step 3",
                         d / "method_dcl");
  INFO(run.out + run.err);
  CHECK(run.code == 0);
  const std::string metrics = slurp(d / "run" / "metrics.jsonl");
  CHECK_THAT(metrics, Catch::Contains("\"dcl/uniform_loss_ref\"") && Catch::Contains("\"dcl/pos_sim\""));
  CHECK_THAT(slurp(d / "run" / "pipeline.resolved.toml"), Catch::Contains("type = \"tiny_cnn\""));
}

TEST_CASE("a shipped pipeline copied out of the tree finds its includes in the installed share folder") {
  const fs::path d = scratch_dir("copied_quickstart");
  const std::string prefix = install_into(d);
  fs::copy_file(source_dir() + "/pipelines/quickstart.toml", d / "mine.toml");
  auto ok = run_command(shell_quote(prefix + "/bin/ssl-host") + " validate mine.toml", d);
  INFO(ok.err);
  CHECK(ok.code == 0);
  std::ofstream(d / "broken.toml") << "include = [\"../configs/no_such_fragment.toml\"]\n";
  auto missing = run_command(shell_quote(prefix + "/bin/ssl-host") + " validate broken.toml", d);
  CHECK(missing.code == 2);
  CHECK_THAT(missing.err, Catch::Contains("broken.toml:1:1: pipeline file not found:") &&
                              Catch::Contains("then in the shipped pipelines folders:") &&
                              Catch::Contains("share/ssl-host/pipelines"));
}

TEST_CASE("ssl-host new writes plugin projects of every kind that build, pass their tests and run") {
  const fs::path d = scratch_dir("scaffold");
  const std::string prefix = install_into(d);
  const std::string host = shell_quote(prefix + "/bin/ssl-host");
  for (const std::string kind : {"method", "augmentation", "backbone", "evaluator"}) {
    const std::string name = "my_" + kind;
    DYNAMIC_SECTION(kind) {
      auto made = run_command(host + " new " + kind + " " + name, d);
      INFO(made.out + made.err);
      REQUIRE(made.code == 0);
      for (const auto& f : {"CMakeLists.txt", "README.md"}) CHECK(fs::exists(d / name / f));
      for (const auto& f : {".cpp", "_test.cpp", ".toml"}) CHECK(fs::exists(d / name / (name + f)));
      build_and_test(d / name, d / name / "build", prefix);
      auto described = run_command(host + " describe " + kind + "/" + name + " --plugin-path build", d / name);
      CHECK(described.code == 0);
      auto run = run_command(host + " run " + name + ".toml --plugin-path build --output run", d / name);
      INFO(run.out + run.err);
      CHECK(run.code == 0);
      CHECK(fs::exists(d / name / "run" / "backbone.pt"));
    }
  }
}

TEST_CASE("ssl-host new refuses a bad kind, a bad name and a folder that is not empty") {
  const fs::path d = scratch_dir("scaffold_refusals");
  auto kind = run_host("new widget my_widget", d);
  CHECK(kind.code == 2);
  CHECK_THAT(kind.err, Catch::Contains("unknown kind 'widget'"));
  auto name = run_host("new method My-Method", d);
  CHECK(name.code == 2);
  CHECK_THAT(name.err, Catch::Contains("'My-Method' is not usable: use lower_snake_case"));
  fs::create_directories(d / "taken");
  std::ofstream(d / "taken" / "keep.txt") << "mine\n";
  auto taken = run_host("new method taken_method taken", d);
  CHECK(taken.code == 2);
  CHECK_THAT(taken.err, Catch::Contains("exists and is not an empty folder"));
  CHECK(slurp(d / "taken" / "keep.txt") == "mine\n");
  CHECK(!fs::exists(d / "taken_method"));
}
