#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <stdexcept>

#include "config_tree.h"
#include "fake_plugin.h"
#include "pipeline.h"
#include "registry.h"
#include "spec_store.h"

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

TEST_CASE("the resolved pipeline keeps every digit of a float and every character of a string") {
  // Both were lost before the pipeline fuzzer: 10 significant digits, and raw control
  // characters that made pipeline.resolved.toml unreadable.
  Pipeline p = resolve(kGood, {"method.temperature=0.12345678901234567", "description=tab\there\x01" "bell\rend"});
  const std::string text = to_toml(p);
  CHECK_THAT(text, Catch::Contains("temperature = 0.12345678901234566") || Catch::Contains("temperature = 0.12345678901234567"));
  CHECK_THAT(text, Catch::Contains("\\u0001"));
  Pipeline again = resolve(text);
  CHECK(again.method.config.get_float("temperature") == p.method.config.get_float("temperature"));
  CHECK(again.settings.get_string("description") == "tab\there\x01" "bell\rend");
  CHECK(to_toml(resolve(kGood, {"method.temperature=0.0001"})).find("temperature = 0.0001\n") != std::string::npos);
}

namespace {
// Methods registered with add_method<T>: one declaring 1..3 views through a static views()
// that reads its config, one with its own sample transform, one with no views() at all. They
// are only registered and resolved (their schema and views() are what these tests read); a
// training step on one of them is a test bug and says so.
class ResolveOnlyMethod : public ssl::sdk::Method {
 public:
  ssl::sdk::StepOutput training_step(const ssl::sdk::Batch&, const ssl::sdk::StepInfo&) override {
    throw std::logic_error("a resolve-only test method was trained");
  }
  std::shared_ptr<ssl::sdk::Backbone> backbone() const override { return nullptr; }
};
class WideMethod final : public ResolveOnlyMethod {
 public:
  WideMethod(const ssl::sdk::Config&, const ssl::sdk::BuildContext&) {}
  static ssl::sdk::Schema schema() {
    ssl::sdk::Schema s;
    s.add_int("max_views", 3, "most views accepted").min(1);
    return s;
  }
  static ssl::sdk::ViewSpec views(const ssl::sdk::Config& c) { return {1, c.get_int("max_views")}; }
};
class PretextMethod final : public ResolveOnlyMethod {
 public:
  PretextMethod(const ssl::sdk::Config&, const ssl::sdk::BuildContext&) {}
  static ssl::sdk::Schema schema() { return {}; }
  static ssl::sdk::ViewSpec views(const ssl::sdk::Config&) { return {9, 9, true}; }
};
class PlainMethod final : public ResolveOnlyMethod {
 public:
  PlainMethod(const ssl::sdk::Config&, const ssl::sdk::BuildContext&) {}
  static ssl::sdk::Schema schema() { return {}; }
};
void register_view_methods(ssl::sdk::Registrar& r) {
  r.add_method<WideMethod>("wide", "1..max_views views");
  r.add_method<PretextMethod>("pretext", "its own transform");
  r.add_method<PlainMethod>("plain", "the default views");
}

std::vector<Diagnostic> view_errors(const std::string& method, int64_t count,
                                    const std::vector<std::string>& overrides = {}) {
  static const SslPluginInfo views_plugin{SSL_SDK_ABI_VERSION, "views", "1.0.0", SSL_SDK_FINGERPRINT,
                                          &register_view_methods};
  static Registry registry = [] {
    Registry r = fake_registry();
    r.load_static(&views_plugin);
    return r;
  }();
  std::string text = kGood;
  text.replace(text.find("count = 2"), 9, "count = " + std::to_string(count));
  text.replace(text.find("type = \"pull\"\ntemperature = 0.5"), 31, "type = \"" + method + "\"");
  const fs::path file = write_pipeline("views.toml", text);
  Node root = load_document(file);
  try {
    resolve_with_overrides(root, registry, file, overrides);
  } catch (const ConfigError& e) {
    return e.diagnostics();
  }
  return {};
}
}  // namespace

TEST_CASE("add_method<T> registers the class's schema, factory and static views()") {
  ssl::test::SpecStore store;
  register_view_methods(store);
  const auto& wide = store.spec(ssl::sdk::Kind::Method, "wide");
  CHECK(wide.schema.find("max_views") != nullptr);
  const ssl::sdk::Config five("method wide", {{"max_views", ssl::sdk::Value(int64_t{5})}});
  CHECK(wide.views_for(five).min_views == 1);
  CHECK(wide.views_for(five).max_views == 5);
  CHECK(store.build<ssl::sdk::Method>(ssl::sdk::Kind::Method, "wide") != nullptr);
  // Without a static views(): the default two views.
  const auto& plain = store.spec(ssl::sdk::Kind::Method, "plain");
  CHECK_FALSE(static_cast<bool>(plain.views));
  CHECK(plain.views_for(ssl::sdk::Config()).min_views == 2);
  CHECK(plain.views_for(ssl::sdk::Config()).max_views == 2);
}

TEST_CASE("validation checks the view groups against the method's declared views, at the [[views]] position") {
  const auto errors = view_errors("plain", 3);
  REQUIRE(errors.size() == 1);
  CHECK(errors[0].pos.line == 11);  // the [[views]] array
  CHECK(errors[0].message == "method plain needs 2 views per image, the [[views]] groups produce 3");
  CHECK(view_errors("plain", 2).empty());
  // The range comes from the method's own config, overrides included.
  CHECK(view_errors("wide", 3).empty());
  const auto too_many = view_errors("wide", 3, {"method.max_views=2"});
  REQUIRE(too_many.size() == 1);
  CHECK(too_many[0].message == "method wide needs 1..2 views per image, the [[views]] groups produce 3");
  // A method with its own sample transform is not checked against the groups.
  CHECK(view_errors("pretext", 1).empty());
}

TEST_CASE("the view count is checked only once the method and the view groups are valid") {
  // An unknown key in [method] is the only error: the view count of a broken method is not guessed.
  const auto errors = view_errors("wide", 3, {"method.max_view=2"});
  REQUIRE(errors.size() == 1);
  CHECK_THAT(errors[0].message, Catch::Contains("unknown key 'max_view'"));
}
