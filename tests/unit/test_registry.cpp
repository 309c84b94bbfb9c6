#include <catch2/catch.hpp>

#include "diagnostics.h"
#include "fake_plugin.h"
#include "registry.h"

using namespace ssl::host;

namespace {
void register_clash(ssl::sdk::Registrar& r) {
  r.add_method("pull", [](const ssl::sdk::Config&, const ssl::sdk::BuildContext&) -> std::shared_ptr<ssl::sdk::Method> {
    return nullptr;
  }, {}, "clashes with fake's pull");
}
void register_reserved(ssl::sdk::Registrar& r) {
  ssl::sdk::Schema s;
  s.add_int("every", 1, "reserved by the host for evaluators");
  r.add_evaluator("sneaky", [](const ssl::sdk::Config&, const ssl::sdk::BuildContext&) {
    return std::make_shared<ssl::test::ConstantEvaluator>();
  }, s, "declares a reserved key");
}
void register_throwing(ssl::sdk::Registrar&) { SSL_FAIL("cannot register today"); }

const SslPluginInfo kClash{SSL_SDK_ABI_VERSION, "clash", "1.0", SSL_SDK_FINGERPRINT, &register_clash};
const SslPluginInfo kReserved{SSL_SDK_ABI_VERSION, "reserved", "1.0", SSL_SDK_FINGERPRINT, &register_reserved};
const SslPluginInfo kThrowing{SSL_SDK_ABI_VERSION, "throwing", "1.0", SSL_SDK_FINGERPRINT, &register_throwing};
}  // namespace

TEST_CASE("the registry lists components by kind, sorted, with their plugin") {
  Registry r;
  r.load_static(ssl::test::fake_plugin_info());
  REQUIRE(r.list().size() == 7);
  const auto methods = r.list(ssl::sdk::Kind::Method);
  REQUIRE(methods.size() == 3);
  CHECK(methods[0]->id() == "method/adapt");
  CHECK(methods[1]->id() == "method/labelled");
  CHECK(methods[2]->id() == "method/pull");
  CHECK(methods[2]->plugin->name == "fake");
  CHECK(r.find(ssl::sdk::Kind::Dataset, "counting") != nullptr);
  CHECK(r.find(ssl::sdk::Kind::Method, "counting") == nullptr);
}

TEST_CASE("a duplicate component is refused naming both plugins") {
  Registry r;
  r.load_static(ssl::test::fake_plugin_info());
  CHECK_THROWS_WITH(r.load_static(&kClash), Catch::Contains("duplicate component method/pull: registered by plugin 'fake'") &&
                                                Catch::Contains("plugin 'clash'"));
  CHECK(r.list().size() == 7);  // nothing of the refused plugin was added
}

TEST_CASE("a plugin loaded twice, a reserved key and a throwing register callback are refused") {
  Registry r;
  r.load_static(ssl::test::fake_plugin_info());
  CHECK_THROWS_AS(r.load_static(ssl::test::fake_plugin_info()), PluginLoadError);
  CHECK_THROWS_WITH(r.load_static(&kReserved), Catch::Contains("declares the host-reserved key 'every'"));
  CHECK_THROWS_WITH(r.load_static(&kThrowing), Catch::Contains("register_components failed: cannot register today"));
}

TEST_CASE("a created object keeps its plugin record alive after the registry is gone") {
  std::shared_ptr<ssl::sdk::Dataset> ds;
  std::weak_ptr<const PluginRecord> record;
  {
    Registry r;
    r.load_static(ssl::test::fake_plugin_info());
    const ComponentEntry* e = r.find(ssl::sdk::Kind::Dataset, "counting");
    record = e->plugin;
    ds = r.create<ssl::sdk::Dataset>(*e, e->spec.schema.resolve({}, "test"), {});
  }
  CHECK_FALSE(record.expired());
  CHECK(ds->get(5).label == 1);
  ds.reset();
  CHECK(record.expired());
}
