// Backbones of backbone_resnet and backbone_simple: shapes, channels, torchvision names.
#include <ATen/ATen.h>
#include <catch2/catch.hpp>
#include <torch/utils.h>

#include <algorithm>
#include <fstream>
#include <string>
#include <vector>

#include "models_registry.h"

using models_test::ModelsRegistry;
using models_test::Values;

namespace {

std::vector<std::string> read_lines(const std::string& path) {
  std::ifstream in(path);
  REQUIRE(in.good());
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);)
    if (!line.empty()) lines.push_back(line);
  return lines;
}

std::vector<std::string> state_names(torch::nn::Module& m) {
  std::vector<std::string> names;
  for (const auto& p : m.named_parameters()) names.push_back(p.key());
  for (const auto& b : m.named_buffers()) names.push_back(b.key());
  std::sort(names.begin(), names.end());
  return names;
}

// "name [d0,d1,...]" per tensor, sorted by name: the format of the *_shapes.txt files.
std::vector<std::string> state_shapes(torch::nn::Module& m) {
  std::vector<std::string> lines;
  auto add = [&lines](const std::string& name, const at::Tensor& t) {
    std::string line = name + " [";
    for (int64_t d = 0; d < t.dim(); ++d) line += (d ? "," : "") + std::to_string(t.size(d));
    lines.push_back(line + "]");
  };
  for (const auto& p : m.named_parameters()) add(p.key(), p.value());
  for (const auto& b : m.named_buffers()) add(b.key(), b.value());
  std::sort(lines.begin(), lines.end());
  return lines;
}

ssl::sdk::BuildContext context(int64_t channels) {
  ssl::sdk::BuildContext ctx;
  ctx.role = "backbone";
  ctx.input_channels = channels;
  return ctx;
}

void check_shapes(const std::string& name, const Values& values, int64_t features) {
  ModelsRegistry registry;
  for (int64_t channels : {1, 3}) {
    auto net = registry.backbone(name, values, context(channels));
    CHECK(net->num_features() == features);
    for (int64_t side : {28, 32}) {
      INFO(name << " channels " << channels << " side " << side);
      const at::Tensor y = net->forward(at::randn({2, channels, side, side}));
      CHECK(y.sizes() == at::IntArrayRef({2, features}));
      CHECK(at::isfinite(y).all().item<bool>());
    }
    CHECK_THROWS(net->forward(at::randn({2, channels + 1, 32, 32})));
  }
}

}  // namespace

TEST_CASE("resnet18 maps 1- and 3-channel 28 and 32 px images to 512 features") {
  torch::manual_seed(20);
  check_shapes("resnet18", {}, 512);
  check_shapes("resnet18", {{"stem", std::string("imagenet")}}, 512);
}

TEST_CASE("resnet50 maps 1- and 3-channel 28 and 32 px images to 2048 features") {
  torch::manual_seed(21);
  check_shapes("resnet50", {{"width", int64_t{16}}}, 512);  // width scales the features
  check_shapes("resnet50", {}, 2048);
}

TEST_CASE("resnet_small and tiny_cnn map 1- and 3-channel 28 and 32 px images to 256 features") {
  torch::manual_seed(22);
  check_shapes("resnet_small", {}, 256);
  check_shapes("resnet_small", {{"width", int64_t{8}}, {"blocks", std::vector<int64_t>{1, 2}}}, 16);
  check_shapes("resnet_small", {{"stem_stride", int64_t{2}}}, 256);
  check_shapes("tiny_cnn", {}, 256);
  check_shapes("tiny_cnn", {{"width", int64_t{4}}}, 32);
}

TEST_CASE("an explicit in_channels overrides the build context") {
  torch::manual_seed(23);
  ModelsRegistry registry;
  auto net = registry.backbone("resnet_small", {{"in_channels", int64_t{2}}}, context(3));
  CHECK(net->forward(at::randn({2, 2, 28, 28})).size(1) == 256);
  CHECK_THROWS(net->forward(at::randn({2, 3, 28, 28})));
}

TEST_CASE("resnet18 and resnet50 state names equal torchvision's without fc") {
  torch::manual_seed(24);
  ModelsRegistry registry;
  const std::string dir = std::string(SSL_TEST_SOURCE_DIR) + "/tests/plugins/data/";
  for (const std::string name : {"resnet18", "resnet50"}) {
    INFO(name);
    auto net = registry.backbone(name, {{"stem", std::string("imagenet")}}, context(3));
    CHECK(state_names(*net) == read_lines(dir + "torchvision_" + name + "_keys.txt"));
    // With the ImageNet stem every shape matches too, so the weights load as they are.
    CHECK(state_shapes(*net) == read_lines(dir + "torchvision_" + name + "_shapes.txt"));
  }
  // The CIFAR stem changes conv1's shape, not the names.
  auto cifar = registry.backbone("resnet18", {}, context(3));
  CHECK(state_names(*cifar) == read_lines(dir + "torchvision_resnet18_keys.txt"));
  CHECK(cifar->named_parameters()["conv1.weight"].sizes() == at::IntArrayRef({64, 3, 3, 3}));
}

TEST_CASE("zero_init_residual zeroes the last BN scale of every block") {
  torch::manual_seed(25);
  ModelsRegistry registry;
  auto net = registry.backbone("resnet18", {{"zero_init_residual", true}}, context(3));
  const auto params = net->named_parameters();
  CHECK(params["layer1.0.bn2.weight"].abs().sum().item<double>() == 0.0);
  CHECK(params["layer4.1.bn2.weight"].abs().sum().item<double>() == 0.0);
  CHECK(params["layer1.0.bn1.weight"].abs().sum().item<double>() > 0.0);
}

TEST_CASE("backbones accept channels-last input and give the same features") {
  torch::manual_seed(26);
  ModelsRegistry registry;
  for (const std::string name : {"resnet_small", "tiny_cnn"}) {
    auto net = registry.backbone(name, {{"width", int64_t{8}}}, context(3));
    net->eval();
    const at::Tensor x = at::randn({2, 3, 32, 32});
    const at::Tensor a = net->forward(x);
    const at::Tensor b = net->forward(x.contiguous(at::MemoryFormat::ChannelsLast));
    CHECK(at::allclose(a, b, 1e-4, 1e-5));
  }
}

TEST_CASE("a stride-2 stem halves the resolution the first stage sees") {
  torch::manual_seed(24);
  ModelsRegistry registry;
  auto full = registry.backbone("resnet_small", {}, context(1));
  auto half = registry.backbone("resnet_small", {{"stem_stride", int64_t{2}}}, context(1));
  const at::Tensor x = at::randn({1, 1, 28, 28});
  auto stem_out = [&](const std::shared_ptr<ssl::sdk::Backbone>& net) {
    for (const auto& m : net->named_children())
      if (m.key() == "conv1") return m.value()->as<torch::nn::Conv2d>()->forward(x);
    return at::Tensor();
  };
  CHECK(stem_out(full).size(2) == 28);
  CHECK(stem_out(half).size(2) == 14);
}

TEST_CASE("pixels flattens the image it was built for and refuses any other shape") {
  ModelsRegistry registry;
  ssl::sdk::BuildContext ctx = context(1);
  ctx.input_size = 28;
  auto net = registry.backbone("pixels", {}, ctx);
  CHECK(net->num_features() == 784);
  CHECK(net->parameters().empty());
  const at::Tensor x = at::randn({3, 1, 28, 28});
  CHECK(at::equal(net->forward(x), x.reshape({3, 784})));
  CHECK(at::equal(net->forward(x.contiguous(at::MemoryFormat::ChannelsLast)), x.reshape({3, 784})));
  CHECK_THROWS_WITH(net->forward(at::randn({3, 1, 32, 32})), Catch::Contains("expected images [N, 1, 28, 28]"));
  auto sized = registry.backbone("pixels", {{"in_channels", int64_t{3}}, {"size", int64_t{32}}}, context(0));
  CHECK(sized->num_features() == 3 * 32 * 32);
  CHECK_THROWS_WITH(registry.backbone("pixels", {}, context(0)), Catch::Contains("set in_channels and size"));
}
