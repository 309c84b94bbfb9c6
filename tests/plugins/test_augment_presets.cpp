// configs/augment/*.toml: every op of every preset builds against its schema and runs.
// The host owns TOML parsing (toml++ lives there only); the presets use a small regular
// subset, read here line by line: [[views]], [[views.ops]], key = int | float | "string" | [numbers].
#include <catch2/catch.hpp>

#include <fstream>
#include <sstream>

#include "data_plugins.h"

namespace {

struct ViewGroup {
  int64_t count = 0;
  std::vector<std::pair<std::string, ssl_test::Values>> ops;  // type, keys
};

ssl::sdk::Value parse_value(std::string text) {
  if (text.front() == '"') return text.substr(1, text.rfind('"') - 1);
  if (text.front() == '[') {
    std::vector<double> list;
    std::stringstream in(text.substr(1, text.rfind(']') - 1));
    for (std::string item; std::getline(in, item, ',');) list.push_back(std::stod(item));
    return list;
  }
  if (text.find_first_of(".eE") != std::string::npos) return std::stod(text);
  return static_cast<int64_t>(std::stoll(text));
}

std::vector<ViewGroup> read_preset(const std::string& path) {
  std::ifstream in(path);
  REQUIRE(in.good());
  std::vector<ViewGroup> groups;
  for (std::string line; std::getline(in, line);) {
    if (const auto hash = line.find('#'); hash != std::string::npos) line.erase(hash);
    while (!line.empty() && std::isspace(static_cast<unsigned char>(line.back()))) line.pop_back();
    if (line.empty()) continue;
    if (line == "[[views]]") { groups.emplace_back(); continue; }
    REQUIRE(!groups.empty());
    if (line == "[[views.ops]]") { groups.back().ops.emplace_back(); continue; }
    const auto eq = line.find('=');
    REQUIRE(eq != std::string::npos);
    std::string key = line.substr(0, eq), value = line.substr(eq + 1);
    key.erase(key.find_last_not_of(' ') + 1);
    value.erase(0, value.find_first_not_of(' '));
    if (groups.back().ops.empty()) {
      REQUIRE(key == "count");
      groups.back().count = std::stoll(value);
    } else if (key == "type") {
      groups.back().ops.back().first = std::get<std::string>(parse_value(value));
    } else {
      groups.back().ops.back().second[key] = parse_value(value);
    }
  }
  return groups;
}

}  // namespace

TEST_CASE("every augmentation preset builds and produces views of the declared sizes", "[augmentation_core][presets]") {
  struct Expect { const char* file; int64_t views; int channels; int side; std::vector<int> sizes; };
  const std::vector<Expect> presets = {
      {"simclr.toml", 2, 3, 256, {224}},      {"simclr_small.toml", 2, 1, 28, {28}},
      {"byol.toml", 2, 3, 256, {224, 224}},    {"byol_small.toml", 2, 1, 28, {28, 28}},
      {"multicrop.toml", 8, 3, 256, {224, 96}}, {"multicrop_small.toml", 8, 1, 28, {28, 14}},
      {"simclr_fashion_mnist.toml", 2, 1, 28, {28}}};
  for (const auto& p : presets) {
    INFO(p.file);
    const auto groups = read_preset(std::string(SSL_TEST_SOURCE_DIR) + "/configs/augment/" + p.file);
    REQUIRE(groups.size() == p.sizes.size());
    int64_t views = 0;
    for (size_t g = 0; g < groups.size(); ++g) {
      views += groups[g].count;
      cv::Mat x(p.side, p.side, p.channels == 3 ? CV_8UC3 : CV_8UC1, cv::Scalar::all(120));
      ssl::sdk::Rng rng(static_cast<uint64_t>(g));
      for (const auto& [type, values] : groups[g].ops) x = ssl_test::make_op(type, values)->apply(x, rng);
      CHECK(x.rows == p.sizes[g]);
      CHECK(x.type() == CV_MAKETYPE(CV_32F, p.channels));  // normalize ends every chain
    }
    CHECK(views == p.views);
  }
}
