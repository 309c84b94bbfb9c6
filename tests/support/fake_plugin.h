#pragma once
// A statically linked fake plugin for host unit tests: one component of each kind with small
// schemas, registered through the same SslPluginInfo path real plugins use (no dlopen).
#include <ATen/ATen.h>
#include <torch/nn/modules/linear.h>

#include <memory>

#include "ssl/sdk/sdk.h"

namespace ssl::test {

// A dataset of `size` images; image i is filled with value i % 256; label i % classes
// (classes 0: unlabelled, every label -1).
class CountingDataset final : public sdk::Dataset {
 public:
  CountingDataset(int64_t size, int64_t classes, int rows = 8, int cols = 8, int channels = 1)
      : size_(size), classes_(classes), rows_(rows), cols_(cols), channels_(channels) {}
  int64_t size() const override { return size_; }
  sdk::Sample get(int64_t i) const override {
    return {cv::Mat(rows_, cols_, CV_8UC(channels_), cv::Scalar::all(double(i % 256))), label(i)};
  }
  sdk::DatasetInfo info() const override { return {channels_, rows_, cols_, classes_, {}}; }
  std::vector<int64_t> labels() const override {
    std::vector<int64_t> out;
    for (int64_t i = 0; i < size_; ++i) out.push_back(label(i));
    return out;
  }

 private:
  int64_t label(int64_t i) const { return classes_ > 0 ? i % classes_ : -1; }
  int64_t size_, classes_;
  int rows_, cols_, channels_;
};

// Adds a random integer in [0, 100) drawn from the per-sample Rng to every pixel (as float).
class NoiseOp final : public sdk::Augmentation {
 public:
  cv::Mat apply(const cv::Mat& image, sdk::Rng& rng) const override {
    cv::Mat out;
    image.convertTo(out, CV_32F, 1.0 / 255.0, double(rng.randint(0, 100)));
    return out;
  }
};

// A linear "backbone" over flattened 8x8 single-channel images.
class FlatBackbone final : public sdk::Backbone {
 public:
  explicit FlatBackbone(int64_t in_features) { fc_ = register_module("fc", torch::nn::Linear(in_features, 4)); }
  at::Tensor forward(const at::Tensor& x) override { return fc_->forward(x.flatten(1)); }
  int64_t num_features() const override { return 4; }

 private:
  torch::nn::Linear fc_{nullptr};
};

// Pulls the two views together (a toy loss with a real gradient).
class PullMethod final : public sdk::Method {
 public:
  explicit PullMethod(std::shared_ptr<sdk::Backbone> b) : backbone_(register_module("backbone", std::move(b))) {}
  sdk::StepOutput training_step(const sdk::Batch& batch, const sdk::StepInfo&) override {
    // A self-supervised method never sees labels: every run of the fake plugin checks it.
    SSL_CHECK(!batch.labels.defined(), "pull: a self-supervised method was given labels");
    at::Tensor a = backbone_->forward(batch.views.at(0)), b = backbone_->forward(batch.views.at(1));
    return {(a - b).pow(2).mean() + 0.01 * a.pow(2).mean(), {}};
  }
  // Nor through its epoch hooks' features.
  void on_epoch_start(sdk::EpochContext& ctx) override {
    SSL_CHECK(ctx.features->num_classes(sdk::Split::Train) == 0, "pull: the epoch hook was told the classes");
    const sdk::Features f = ctx.features->extract({sdk::Split::Train, sdk::Representation::Backbone, 8, 0, 1});
    SSL_CHECK(f.labels.numel() == 8 && (f.labels == -1).all().item<bool>(), "pull: the epoch hook saw labels");
  }
  std::shared_ptr<sdk::Backbone> backbone() const override { return backbone_; }

 private:
  std::shared_ptr<sdk::Backbone> backbone_;
};

// Trains on the labels (uses_labels): a linear classifier on the backbone of the first view.
// Checks what the host promises such a method: labels on every batch, in range.
class LabelledMethod final : public sdk::Method {
 public:
  LabelledMethod(std::shared_ptr<sdk::Backbone> b, int64_t classes)
      : backbone_(register_module("backbone", std::move(b))), classes_(classes) {
    SSL_CHECK(classes > 0, "labelled: BuildContext::num_classes is ", classes);
    fc_ = register_module("fc", torch::nn::Linear(backbone_->num_features(), classes));
  }
  sdk::StepOutput training_step(const sdk::Batch& batch, const sdk::StepInfo&) override {
    SSL_CHECK(batch.labels.defined(), "labelled: no labels in the batch");
    SSL_CHECK(batch.labels.min().item<int64_t>() >= 0 && batch.labels.max().item<int64_t>() < classes_,
              "labelled: a label outside [0, ", classes_, ")");
    return {at::cross_entropy_loss(fc_->forward(backbone_->forward(batch.views.at(0))), batch.labels), {}};
  }
  std::shared_ptr<sdk::Backbone> backbone() const override { return backbone_; }

 private:
  std::shared_ptr<sdk::Backbone> backbone_;
  torch::nn::Linear fc_{nullptr};
  int64_t classes_;
};

// Trains on two domains (uses_labels and uses_target_domain): a classifier on the labelled
// source views plus a pull of the target's two views together. Checks what the host promises
// such a method: a target batch on every step, indices inside the target split, labels for the
// source batch only. Records the indices of both batches, step by step, for the tests.
class AdaptMethod final : public sdk::Method {
 public:
  AdaptMethod(std::shared_ptr<sdk::Backbone> b, int64_t classes, int64_t target_size)
      : backbone_(register_module("backbone", std::move(b))), target_size_(target_size) {
    SSL_CHECK(classes > 0 && target_size > 0, "adapt: num_classes ", classes, ", target_size ", target_size);
    fc_ = register_module("fc", torch::nn::Linear(backbone_->num_features(), classes));
  }
  sdk::StepOutput training_step(const sdk::Batch& batch, const sdk::StepInfo&) override {
    const at::Tensor& x = batch.views.at(0);
    SSL_CHECK(batch.labels.defined() && batch.labels.size(0) == x.size(0), "adapt: labels are not the source batch's");
    SSL_CHECK(batch.target_views.size() == 2 && batch.target_indices.defined(), "adapt: no target batch");
    const at::Tensor& t = batch.target_indices;
    SSL_CHECK(t.size(0) == batch.target_views[0].size(0) && t.min().item<int64_t>() >= 0 &&
                  t.max().item<int64_t>() < target_size_,
              "adapt: target indices outside [0, ", target_size_, ")");
    auto list = [](const at::Tensor& v) {
      const at::Tensor c = v.cpu().contiguous();
      return std::vector<int64_t>(c.data_ptr<int64_t>(), c.data_ptr<int64_t>() + c.numel());
    };
    source_seen.push_back(list(batch.indices));
    target_seen.push_back(list(t));
    const at::Tensor a = backbone_->forward(batch.target_views[0]), b = backbone_->forward(batch.target_views[1]);
    return {at::cross_entropy_loss(fc_->forward(backbone_->forward(x)), batch.labels) + (a - b).pow(2).mean(), {}};
  }
  std::shared_ptr<sdk::Backbone> backbone() const override { return backbone_; }

  std::vector<std::vector<int64_t>> source_seen, target_seen;

 private:
  std::shared_ptr<sdk::Backbone> backbone_;
  torch::nn::Linear fc_{nullptr};
  int64_t target_size_;
};

class ConstantEvaluator final : public sdk::Evaluator {
 public:
  sdk::EvalResult evaluate(sdk::EvalContext&) override { return {{{"value", 1.0}}}; }
};

inline void register_fake_components(sdk::Registrar& r) {
  sdk::Schema ds;
  ds.add_int("size", 64, "images").min(1);
  ds.add_int("num_classes", 4, "labels (0: unlabelled)").range(0, 100);
  ds.add_string("split", "train", "which split").choices({"train", "test"});
  r.add_dataset("counting", [](const sdk::Config& c, const sdk::BuildContext&) {
    return std::make_shared<CountingDataset>(c.get_int("size"), c.get_int("num_classes"));
  }, ds, "images filled with their index");

  sdk::Schema op;
  op.add_float("p", 0.5, "probability").range(0, 1);
  r.add_augmentation("noise", [](const sdk::Config&, const sdk::BuildContext&) { return std::make_shared<NoiseOp>(); },
                     op, "adds seeded noise");

  sdk::Schema bb;
  bb.add_int("width", 16, "unused width").min(1);
  r.add_backbone("flat", [](const sdk::Config&, const sdk::BuildContext& ctx) {
    return std::make_shared<FlatBackbone>(ctx.input_channels * 64);
  }, bb, "linear layer on flattened images");

  sdk::Schema m;
  m.add_float("temperature", 0.2, "softmax temperature").greater_than(0);
  m.add_int_list("dims", {8, 4}, "head dims").size(1, 4);
  r.add_method("pull", [](const sdk::Config&, const sdk::BuildContext& ctx) {
    return std::make_shared<PullMethod>(ctx.make_backbone());
  }, m, "pulls two views together");
  r.add_method("labelled", [](const sdk::Config&, const sdk::BuildContext& ctx) {
    return std::make_shared<LabelledMethod>(ctx.make_backbone(), ctx.num_classes);
  }, sdk::Schema{}, "a linear classifier trained on the labels",
  [](const sdk::Config&) { return sdk::ViewSpec{1, 2, false}; }, [](const sdk::Config&) { return true; });

  r.add_method("adapt", [](const sdk::Config&, const sdk::BuildContext& ctx) {
    return std::make_shared<AdaptMethod>(ctx.make_backbone(), ctx.num_classes, ctx.target_size);
  }, sdk::Schema{}, "a source classifier and a pull of the target's views (two domains)",
  [](const sdk::Config&) { return sdk::ViewSpec{1, 2, false}; }, [](const sdk::Config&) { return true; },
  [](const sdk::Config&) { return true; });

  r.add_evaluator("constant", [](const sdk::Config&, const sdk::BuildContext&) {
    return std::make_shared<ConstantEvaluator>();
  }, sdk::Schema{}, "always 1");
}

inline const SslPluginInfo* fake_plugin_info() {
  static const SslPluginInfo info{SSL_SDK_ABI_VERSION, "fake", "9.9.9", SSL_SDK_FINGERPRINT, &register_fake_components};
  return &info;
}

}  // namespace ssl::test
