#include <catch2/catch.hpp>

#include "ssl/sdk/config.h"
#include "ssl/sdk/error.h"
#include "ssl/sdk/schema.h"

using namespace ssl::sdk;

namespace {
Schema example() {
  Schema s;
  s.add_float("temperature", 0.2, "tau").greater_than(0);
  s.add_int("k", 200, "neighbours").range(1, 1000);
  s.add_string("interpolation", "bicubic", "filter").choices({"nearest", "bilinear", "bicubic"});
  s.add_float_list("scale", {0.08, 1.0}, "crop scale").size(2, 2).range(0, 1);
  s.add_required("root", ValueType::String, "folder");
  return s;
}
}  // namespace

TEST_CASE("a schema fills defaults and widens ints to floats") {
  Config c = example().resolve({{"root", Value(std::string("/x"))}, {"temperature", Value(int64_t{1})}}, "test");
  CHECK(c.get_float("temperature") == 1.0);
  CHECK(c.get_int("k") == 200);
  CHECK(c.get_string("interpolation") == "bicubic");
  CHECK(c.get_float_list("scale") == std::vector<double>{0.08, 1.0});
}

TEST_CASE("a schema reports every problem at once") {
  try {
    example().resolve({{"temprature", Value(0.5)}, {"k", Value(int64_t{0})}, {"interpolation", Value(std::string("cubic"))},
                       {"scale", Value(std::vector<double>{0.5})}},
                      "method x");
    FAIL("expected an error");
  } catch (const Error& e) {
    const std::string msg = e.what();
    CHECK_THAT(msg, Catch::Contains("unknown key 'temprature'; did you mean 'temperature'?"));
    CHECK_THAT(msg, Catch::Contains("'k' must be in [1, 1000], got 0"));
    CHECK_THAT(msg, Catch::Contains("one of: nearest, bilinear, bicubic"));
    CHECK_THAT(msg, Catch::Contains("'scale' must have 2 items"));
    CHECK_THAT(msg, Catch::Contains("missing required key 'root'"));
  }
}

TEST_CASE("a schema rejects a float where an int is declared and NaN anywhere") {
  Schema s = example();
  Value out;
  CHECK(s.check(*s.find("k"), Value(2.5), out).value() == "expected int, got float 2.5");
  CHECK(s.check(*s.find("temperature"), Value(std::nan("")), out).has_value());
  CHECK(s.check(*s.find("temperature"), Value(0.0), out).value() == "must be > 0, got 0.0");
}

TEST_CASE("the TOML template lists every key with its default and doc") {
  const std::string tmpl = example().toml_template("method", "demo");
  CHECK_THAT(tmpl, Catch::StartsWith("[method]\ntype = \"demo\"\n"));
  CHECK_THAT(tmpl, Catch::Contains("# tau (> 0)\ntemperature = 0.2\n"));
  CHECK_THAT(tmpl, Catch::Contains("scale = [0.08, 1.0]"));
  CHECK_THAT(tmpl, Catch::Contains("# root = <string>  (required)"));
}

TEST_CASE("a config refuses undeclared keys and wrong types with the component's name") {
  Config c("method demo", {{"k", Value(int64_t{3})}});
  CHECK_THROWS_WITH(c.get_int("missing"), Catch::Contains("method demo: no configuration key 'missing'"));
  CHECK_THROWS_WITH(c.get_string("k"), Catch::Contains("holds a int, not a string"));
}

TEST_CASE("edit distance drives the did-you-mean suggestions") {
  CHECK(edit_distance("kitten", "sitting") == 3);
  CHECK(example().suggest("intrpolation").value() == "interpolation");
  CHECK_FALSE(example().suggest("completely_different").has_value());
}

TEST_CASE("a schema refuses to declare a key twice") {
  Schema s;
  s.add_int("a", 1, "a");
  CHECK_THROWS_WITH(s.add_int("a", 2, "again"), Catch::Contains("declares key 'a' twice"));
}
