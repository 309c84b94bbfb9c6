// A plugin built only against the installed SDK works with the already-built ssl-host.
#include <catch2/catch.hpp>

#include "run_host.h"

using namespace ssl::test;
namespace fs = std::filesystem;

TEST_CASE("an out-of-tree plugin builds against the installed SDK and runs without a host rebuild") {
  const fs::path d = scratch_dir("out_of_tree");
  const std::string prefix = (d / "prefix").string(), build = (d / "build").string();
  auto install = run_command("cmake --install " + shell_quote(SSL_TEST_BINARY_DIR) + " --prefix " + shell_quote(prefix));
  INFO(install.out + install.err);
  REQUIRE(install.code == 0);
  REQUIRE(fs::exists(d / "prefix/lib/cmake/ssl_sdk/ssl_sdkConfig.cmake"));
  auto configure = run_command("cmake -S " + shell_quote(source_dir() + "/examples/out_of_tree_plugin") + " -B " +
                               shell_quote(build) + " -DCMAKE_BUILD_TYPE=Release -DCMAKE_PREFIX_PATH=" + shell_quote(prefix));
  INFO(configure.out + configure.err);
  REQUIRE(configure.code == 0);
  auto compile = run_command("cmake --build " + shell_quote(build) + " -j2");
  INFO(compile.out + compile.err);
  REQUIRE(compile.code == 0);
  const std::string plugin = build + "/ssl_example_invert.so";
  REQUIRE(fs::exists(plugin));

  auto list = run_host("list augmentation --plugin-path " + shell_quote(plugin));
  CHECK(list.code == 0);
  CHECK_THAT(list.out, Catch::Contains("augmentation/invert") && Catch::Contains("example_invert 0.1.0"));

  std::ofstream(d / "p.toml") << "include = [\"" << source_dir() << "/pipelines/smoke.toml\"]\n"
                              << "[[views]]\ncount = 2\n[[views.ops]]\ntype = \"random_resized_crop\"\nsize = 32\n"
                              << "[[views.ops]]\ntype = \"invert\"\np = 0.5\n";
  auto run = run_command("SSL_PLUGIN_PATH=" + shell_quote(build) + " " + shell_quote(host_binary()) + " run " +
                         shell_quote((d / "p.toml").string()) + " --output " + shell_quote((d / "run").string()) +
                         " --stop-at-step 2");
  INFO(run.err);
  CHECK(run.code == 0);
  CHECK(fs::exists(d / "run" / "metrics.jsonl"));
}
