// Plugins that fail on purpose: each is refused with its own message and exit code 3.
#include <catch2/catch.hpp>

#include <ATen/ATen.h>

#include "registry.h"
#include "run_host.h"
#include "ssl/sdk/backbone.h"

using namespace ssl::test;

namespace {
CommandResult list_with(const std::string& plugin) { return run_host("list --plugin-path " + shell_quote(plugin)); }
}  // namespace

TEST_CASE("a plugin built for another ABI version is refused") {
  auto r = list_with(fixture("ssl_fixture_wrong_abi.so"));
  CHECK(r.code == 3);
  CHECK_THAT(r.err, Catch::Contains("ssl_fixture_wrong_abi.so: SDK ABI version mismatch: this ssl-host expects ABI " +
                                    std::to_string(SSL_SDK_ABI_VERSION) + ", the plugin was built for ABI 42"));
}

TEST_CASE("a plugin with another build fingerprint is refused naming the fields that differ and both strings") {
  auto r = list_with(fixture("ssl_fixture_wrong_fingerprint.so"));
  CHECK(r.code == 3);
  CHECK_THAT(r.err, Catch::Contains("build fingerprint mismatch: compiler differs: this ssl-host gcc-") &&
                        Catch::Contains(", the plugin gcc-4;") && Catch::Contains("torch differs: this ssl-host ") &&
                        Catch::Contains(", the plugin 1.0;") && Catch::Contains("sdk-headers missing"));
  CHECK_THAT(r.err, Catch::Contains("expected '" SSL_SDK_FINGERPRINT "'") &&
                        Catch::Contains("found 'gcc-4;cxx11abi=0;torch=1.0;opencv=3.2;sdk-abi=1'"));
  CHECK_THAT(r.err, !Catch::Contains("sdk-abi=" + std::to_string(SSL_SDK_ABI_VERSION) + "u"));
}

TEST_CASE("a plugin built against SDK headers with another ssl/nn layout is refused by the header digest") {
  auto r = list_with(fixture("ssl_fixture_changed_sdk_headers.so"));
  CHECK(r.code == 3);
  CHECK_THAT(r.err, Catch::Contains("ssl_fixture_changed_sdk_headers.so: build fingerprint mismatch: sdk-headers "
                                    "differs: this ssl-host " SSL_SDK_HEADER_DIGEST ", the plugin "));
  CHECK_THAT(r.err, !Catch::Contains("compiler differs") && !Catch::Contains("torch differs"));
}

TEST_CASE("a broken file in a scanned plugin folder is a warning naming it, named on its own it is an error") {
  const auto d = scratch_dir("broken_in_folder");
  std::filesystem::copy_file(fixture("not_a_library.so"), d / "broken.so");
  auto scanned = run_host("list backbone --plugin-path " + shell_quote(d.string()));
  CHECK(scanned.code == 0);
  CHECK_THAT(scanned.err, Catch::Contains("warning: skipped a plugin found in a plugin folder: ") &&
                              Catch::Contains("broken.so: not a loadable shared library"));
  CHECK_THAT(scanned.out, Catch::Contains("backbone/tiny_cnn"));
  auto named = run_host("list backbone --plugin-path " + shell_quote((d / "broken.so").string()));
  CHECK(named.code == 3);
  CHECK_THAT(named.err, Catch::Contains("broken.so: not a loadable shared library"));
}

TEST_CASE("a shared library without the entry symbol is refused") {
  auto r = list_with(fixture("ssl_fixture_missing_entry.so"));
  CHECK(r.code == 3);
  CHECK_THAT(r.err, Catch::Contains("not an ssl-host plugin: the entry symbol 'ssl_plugin_info' is missing"));
}

TEST_CASE("a register callback that throws is refused with its message") {
  auto r = list_with(fixture("ssl_fixture_throwing_register.so"));
  CHECK(r.code == 3);
  CHECK_THAT(r.err, Catch::Contains("register_components failed: fixture failure while registering"));
}

TEST_CASE("a duplicate component is refused naming both plugins") {
  auto r = list_with(fixture("ssl_fixture_duplicate_component.so"));
  CHECK(r.code == 3);
  CHECK_THAT(r.err, Catch::Contains("duplicate component backbone/tiny_cnn: registered by plugin") &&
                        Catch::Contains("backbone_simple") && Catch::Contains("fixture_duplicate_component"));
}

TEST_CASE("a file that is not a shared library is refused") {
  auto r = list_with(fixture("not_a_library.so"));
  CHECK(r.code == 3);
  CHECK_THAT(r.err, Catch::Contains("not_a_library.so: not a loadable shared library"));
}

TEST_CASE("a plugin path that does not exist is refused, also through SSL_PLUGIN_PATH") {
  auto r = list_with("/nonexistent/plugins");
  CHECK(r.code == 3);
  CHECK_THAT(r.err, Catch::Contains("plugin path does not exist: /nonexistent/plugins"));
  auto env = run_command("SSL_PLUGIN_PATH=/also/missing " + shell_quote(host_binary()) + " list");
  CHECK(env.code == 3);
  CHECK_THAT(env.err, Catch::Contains("/also/missing"));
}

TEST_CASE("an object created from a plugin outlives the registry that loaded it") {
  std::shared_ptr<ssl::sdk::Backbone> backbone;
  {
    ssl::host::Registry registry;
    registry.load_file(std::string(SSL_TEST_BINARY_DIR) + "/plugins/ssl_backbone_simple.so");
    const auto* entry = registry.find(ssl::sdk::Kind::Backbone, "tiny_cnn");
    REQUIRE(entry != nullptr);
    ssl::sdk::BuildContext ctx;
    ctx.input_channels = 1;
    backbone = registry.create<ssl::sdk::Backbone>(*entry, entry->spec.schema.resolve({}, "test"), ctx);
  }
  at::manual_seed(0);
  at::Tensor y = backbone->forward(at::randn({2, 1, 16, 16}));
  CHECK(y.size(0) == 2);
  CHECK(y.size(1) == backbone->num_features());
  backbone.reset();  // the last reference: the object goes first, then its library record
}
