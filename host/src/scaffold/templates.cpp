// The texts `ssl-host new` writes. @name@: the component's snake_case name (also the plugin's
// and the C++ namespace's), @Class@: its PascalCase, @kind@: method | augmentation | ...
#include "scaffold/scaffold.h"

namespace ssl::host {

const char* scaffold_component_template(const std::string& kind) {
  if (kind == "method") return R"TPL(// @name@: a self-supervised method for ssl-host, one file: the class, its schema, its
// registration line. As written by `ssl-host new method @name@` it trains SimCLR's NT-Xent
// over two projected views; change training_step() to your loss.
#include <ATen/ATen.h>

#include <cmath>

#include "ssl/nn/losses.h"
#include "ssl/nn/method_support.h"
#include "ssl/sdk/method.h"
#include "ssl/sdk/plugin_api.h"
#include "ssl/sdk/registrar.h"

namespace @name@ {

using namespace ssl;

class @Class@ final : public nn::ProjectedMethod {
 public:
  @Class@(const sdk::Config& cfg, const sdk::BuildContext& ctx)
      : nn::ProjectedMethod(cfg, ctx, "@name@"), temperature_(cfg.get_float("temperature")) {}

  static sdk::Schema schema() {
    sdk::Schema s;
    nn::add_head_keys(s, "proj", "projector", nn::HeadDefaults{2048, 256, 2, false, false});
    s.add_float("temperature", 0.2, "softmax temperature").greater_than(0);
    return s;
  }

  // views[0], views[1]: [N, C, H, W] -> a scalar loss and detached metrics.
  sdk::StepOutput training_step(const sdk::Batch& batch, const sdk::StepInfo&) override {
    const at::Tensor z1 = project(batch.views[0]), z2 = project(batch.views[1]);
    sdk::StepOutput out;
    out.loss = nn::nt_xent_loss(z1, z2, temperature_, *comm_);
    const int64_t candidates = 2 * z1.size(0) * comm_->world_size() - 1;
    out.metrics = {{sdk::metric::kUniformLossRef, at::full({}, std::log(double(candidates)))}};
    return out;
  }

 private:
  double temperature_;
};

void register_components(sdk::Registrar& r) {
  r.add_method<@Class@>("@name@", "@name@: NT-Xent over two projected views (from ssl-host new)");
}

}  // namespace @name@

SSL_PLUGIN_DEFINE(@name@, "0.1.0", @name@::register_components)
)TPL";
  if (kind == "augmentation") return R"TPL(// @name@: an augmentation op for ssl-host, one file. As written by `ssl-host new
// augmentation @name@` it inverts the image with probability p; change apply().
#include <opencv2/core.hpp>

#include "ssl/sdk/augmentation.h"
#include "ssl/sdk/plugin_api.h"
#include "ssl/sdk/registrar.h"

namespace @name@ {

using namespace ssl;

class @Class@ final : public sdk::Augmentation {
 public:
  @Class@(const sdk::Config& cfg, const sdk::BuildContext&) : p_(cfg.get_float("p")) {}

  static sdk::Schema schema() {
    sdk::Schema s;
    s.add_float("p", 0.5, "probability of applying the op").range(0, 1);
    return s;
  }

  // image: HWC, CV_8U or CV_32F; use only `rng` for randomness (ops are shared by loader threads).
  cv::Mat apply(const cv::Mat& image, sdk::Rng& rng) const override {
    if (!rng.bernoulli(p_)) return image;
    cv::Mat out;
    image.convertTo(out, image.type(), -1.0, image.depth() == CV_8U ? 255.0 : 1.0);
    return out;
  }

 private:
  double p_;
};

void register_components(sdk::Registrar& r) {
  r.add_augmentation<@Class@>("@name@", "@name@: invert the image with probability p (from ssl-host new)");
}

}  // namespace @name@

SSL_PLUGIN_DEFINE(@name@, "0.1.0", @name@::register_components)
)TPL";
  if (kind == "backbone") return R"TPL(// @name@: a backbone for ssl-host, one file. As written by `ssl-host new backbone @name@`
// it is two conv-BN-ReLU blocks and a global average pool; change the layers. Its BatchNorm is
// ssl::nn::SyncBatchNorm2d (torch's, able to use the global batch under sync_batch_norm).
#include <ATen/ATen.h>
#include <torch/nn/modules/container/sequential.h>
#include <torch/nn/modules/conv.h>
#include <torch/nn/modules/activation.h>

#include "ssl/nn/batch_norm.h"
#include "ssl/sdk/backbone.h"
#include "ssl/sdk/plugin_api.h"
#include "ssl/sdk/registrar.h"

namespace @name@ {

using namespace ssl;

class @Class@ final : public sdk::Backbone {
 public:
  @Class@(const sdk::Config& cfg, const sdk::BuildContext& ctx) : width_(cfg.get_int("width")) {
    const int64_t in = ctx.input_channels > 0 ? ctx.input_channels : 3;
    namespace tnn = torch::nn;
    layers_ = register_module("layers", tnn::Sequential(
        tnn::Conv2d(tnn::Conv2dOptions(in, width_, 3).padding(1).bias(false)), nn::SyncBatchNorm2d(width_), tnn::ReLU(),
        tnn::Conv2d(tnn::Conv2dOptions(width_, 2 * width_, 3).stride(2).padding(1).bias(false)),
        nn::SyncBatchNorm2d(2 * width_), tnn::ReLU()));
  }

  static sdk::Schema schema() {
    sdk::Schema s;
    s.add_int("width", 16, "channels of the first conv layer (features: 2 x width)").min(1);
    return s;
  }

  // images [N, C, H, W] -> features [N, 2 * width]
  at::Tensor forward(const at::Tensor& images) override { return layers_->forward(images).mean({2, 3}); }
  int64_t num_features() const override { return 2 * width_; }

 private:
  int64_t width_;
  torch::nn::Sequential layers_{nullptr};
};

void register_components(sdk::Registrar& r) {
  r.add_backbone<@Class@>("@name@", "@name@: two conv-BN-ReLU blocks + global average pool (from ssl-host new)");
}

}  // namespace @name@

SSL_PLUGIN_DEFINE(@name@, "0.1.0", @name@::register_components)
)TPL";
  return R"TPL(// @name@: an evaluator for ssl-host, one file. As written by `ssl-host new evaluator @name@`
// it reports the mean L2 norm of the test split's backbone features; change evaluate().
#include <ATen/ATen.h>

#include "ssl/sdk/evaluator.h"
#include "ssl/sdk/plugin_api.h"
#include "ssl/sdk/registrar.h"

namespace @name@ {

using namespace ssl;

class @Class@ final : public sdk::Evaluator {
 public:
  @Class@(const sdk::Config& cfg, const sdk::BuildContext&) : max_samples_(cfg.get_int("max_samples")) {}

  static sdk::Schema schema() {
    sdk::Schema s;
    s.add_int("max_samples", 2000, "test images to use (a seeded subset; 0: all)").min(0);
    return s;
  }

  // Metrics are logged as "@name@/<key>".
  sdk::EvalResult evaluate(sdk::EvalContext& ctx) override {
    sdk::FeatureRequest request;
    request.split = sdk::Split::Test;
    request.max_samples = max_samples_;
    request.seed = ctx.seed;
    const sdk::Features f = ctx.features->extract(request);
    return {{{"mean_norm", f.values.norm(2, 1).mean().item<double>()}}};
  }

 private:
  int64_t max_samples_;
};

void register_components(sdk::Registrar& r) {
  r.add_evaluator<@Class@>("@name@", "@name@: mean L2 norm of the test features (from ssl-host new)");
}

}  // namespace @name@

SSL_PLUGIN_DEFINE(@name@, "0.1.0", @name@::register_components)
)TPL";
}

std::string scaffold_test_template(const std::string& kind) {
  // What every kind's test starts with; the bodies follow.
  static const std::string head = R"TPL(// The @name@ @kind@ through its static twin (ssl/sdk/testing.h): no host needed.
#define CATCH_CONFIG_MAIN
#include <catch2/catch.hpp>

#include <ATen/ATen.h>
#include <opencv2/core.hpp>

#include <cmath>

#include "ssl/sdk/testing.h"

SSL_PLUGIN_DECLARE_STATIC(@name@);

using namespace ssl::sdk;
)TPL";
  if (kind == "method") return head + R"TPL(
TEST_CASE("a training step gives a finite loss whose gradient reaches the backbone") {
  at::manual_seed(0);
  testing::Components components{ssl_static_plugin_info_@name@()};
  auto method = components.method("@name@", {{"proj_hidden_dim", int64_t{16}}, {"proj_dim", int64_t{8}}},
                                  testing::method_context(1, 8));
  const StepOutput out = method->training_step(testing::random_views(8, 1, 8), StepInfo{});
  REQUIRE(std::isfinite(out.loss.item<double>()));
  out.loss.backward();
  const at::Tensor grad = method->backbone()->parameters().front().grad();
  REQUIRE(grad.defined());
  CHECK(grad.abs().sum().item<double>() > 0);
}
)TPL";
  if (kind == "augmentation") return head + R"TPL(
TEST_CASE("p = 1 inverts the image and p = 0 leaves it alone") {
  testing::Components components{ssl_static_plugin_info_@name@()};
  const cv::Mat image(4, 4, CV_8UC1, cv::Scalar(10));
  Rng rng(0);
  const cv::Mat always = components.build<Augmentation>(Kind::Augmentation, "@name@", {{"p", 1.0}})->apply(image, rng);
  CHECK(always.at<uint8_t>(0, 0) == 245);
  const cv::Mat never = components.build<Augmentation>(Kind::Augmentation, "@name@", {{"p", 0.0}})->apply(image, rng);
  CHECK(never.at<uint8_t>(0, 0) == 10);
}
)TPL";
  if (kind == "backbone") return head + R"TPL(
TEST_CASE("images [N, C, H, W] become features [N, num_features()]") {
  at::manual_seed(0);
  testing::Components components{ssl_static_plugin_info_@name@()};
  BuildContext ctx;
  ctx.input_channels = 1;
  auto backbone = components.build<Backbone>(Kind::Backbone, "@name@", {{"width", int64_t{4}}}, ctx);
  const at::Tensor y = backbone->forward(at::randn({3, 1, 16, 16}));
  CHECK(y.sizes() == at::IntArrayRef({3, backbone->num_features()}));
}
)TPL";
  return head + R"TPL(
namespace {
// Every split: 10 features of norm 2.
class FixedFeatures final : public FeatureSource {
 public:
  Features extract(const FeatureRequest&) override {
    return {at::full({10, 4}, 1.0), at::zeros({10}, at::kLong), at::arange(10, at::kLong)};
  }
  int64_t num_classes(Split) const override { return 1; }
};
}  // namespace

TEST_CASE("the evaluator reports the mean feature norm") {
  testing::Components components{ssl_static_plugin_info_@name@()};
  auto evaluator = components.build<Evaluator>(Kind::Evaluator, "@name@");
  FixedFeatures features;
  EvalContext ctx;
  ctx.features = &features;
  const EvalResult r = evaluator->evaluate(ctx);
  REQUIRE(r.metrics.size() == 1);
  CHECK(r.metrics[0].second == Approx(2.0));
}
)TPL";
}

const char* scaffold_pipeline_template(const std::string& kind) {
  // One small pipeline on the synthetic dataset (no files needed); the component sits where
  // its kind goes. Run: ssl-host run @name@.toml --plugin-path build
  static const std::string head = R"TPL(# A small pipeline that uses @name@ (written by `ssl-host new @kind@ @name@`); it trains for
# seconds on generated images. Run it with: ssl-host run @name@.toml --plugin-path build
name = "@name@"
seed = 0

[data]
batch_size = 32

[data.train]
type = "synthetic"
num_samples = 256
image_size = 32
channels = 3

[data.test]
type = "synthetic"
num_samples = 128
image_size = 32
channels = 3

[[views]]
count = 2
[[views.ops]]
type = "random_resized_crop"
size = 32
scale = [0.3, 1.0]
[[views.ops]]
type = "horizontal_flip"
)TPL";
  static const std::string aug = "[[views.ops]]\ntype = \"@name@\"\np = 0.5\n";
  static const std::string backbone = "\n[backbone]\ntype = \"tiny_cnn\"\nwidth = 8\n";
  static const std::string own_backbone = "\n[backbone]\ntype = \"@name@\"\nwidth = 8\n";
  static const std::string method = "\n[method]\ntype = \"simclr\"\nproj_hidden_dim = 64\nproj_dim = 32\n";
  static const std::string own_method = "\n[method]\ntype = \"@name@\"\nproj_hidden_dim = 64\nproj_dim = 32\n";
  static const std::string tail = "\n[optimizer]\ntype = \"sgd\"\nlr = 0.05\n\n[trainer]\nepochs = 1\nlog_every = 2\n";
  static const std::string knn = "\n[[evaluators]]\ntype = \"knn\"\nk = 10\n";
  static const std::string own_eval = "\n[[evaluators]]\ntype = \"@name@\"\n";
  static const std::string texts[] = {
      head + backbone + own_method + tail + knn,
      head + aug + backbone + method + tail + knn,
      head + own_backbone + method + tail + knn,
      head + backbone + method + tail + own_eval,
  };
  if (kind == "method") return texts[0].c_str();
  if (kind == "augmentation") return texts[1].c_str();
  if (kind == "backbone") return texts[2].c_str();
  return texts[3].c_str();
}

const char* scaffold_cmake_template() {
  return R"TPL(# @name@: an ssl-host @kind@ plugin, built against the installed SDK (written by ssl-host new).
#   cmake -S . -B build -DCMAKE_PREFIX_PATH=<ssl-host install prefix>
#   cmake --build build -j2 && ctest --test-dir build
#   ssl-host run @name@.toml --plugin-path build
cmake_minimum_required(VERSION 3.18)
project(@name@ LANGUAGES CXX)
set(CMAKE_CXX_STANDARD 17)
set(CMAKE_CXX_STANDARD_REQUIRED ON)
if(NOT CMAKE_BUILD_TYPE)
  set(CMAKE_BUILD_TYPE Release)
endif()

find_package(ssl_sdk 0.1 REQUIRED)  # ssl::sdk, Torch, OpenCV and ssl_add_plugin()
# ssl_@name@.so (the plugin the host loads) and ssl_@name@_static (its static twin, for tests).
ssl_add_plugin(@name@ SOURCES @name@.cpp ENTRY @name@.cpp)
set_target_properties(ssl_@name@ PROPERTIES LIBRARY_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR})

option(@name@_TESTS "Build the Catch2 test (needs Catch2 v2)" ON)
if(@name@_TESTS)
  find_package(Catch2 2 REQUIRED)
  add_executable(@name@_test @name@_test.cpp)
  target_link_libraries(@name@_test PRIVATE ssl_@name@_static Catch2::Catch2)
  enable_testing()
  add_test(NAME @name@_test COMMAND @name@_test)
endif()
)TPL";
}

const char* scaffold_readme_template() {
  return R"TPL(# @name@

An ssl-host @kind@ plugin, started with `ssl-host new @kind@ @name@`.

| file | what it holds |
|---|---|
| `@name@.cpp` | the component: its class, its `schema()` and its registration line |
| `@name@_test.cpp` | a Catch2 test through the static twin (no host needed) |
| `@name@.toml` | a small pipeline that uses it, on generated images |
| `CMakeLists.txt` | builds `ssl_@name@.so` and the test against the installed SDK |

```sh
cmake -S . -B build -DCMAKE_PREFIX_PATH=<ssl-host install prefix>
cmake --build build -j2 && ctest --test-dir build
ssl-host describe @kind@/@name@ --plugin-path build
ssl-host run @name@.toml --plugin-path build
```
)TPL";
}

}  // namespace ssl::host
