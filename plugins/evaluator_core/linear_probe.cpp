#include "linear_probe.h"

#include <ATen/ATen.h>
#include <torch/nn/modules/linear.h>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <utility>
#include <vector>

#include "class_groups.h"
#include "feature_utils.h"
#include "ssl/sdk/error.h"
#include "ssl/sdk/evaluator.h"
#include "ssl/sdk/features.h"
#include "ssl/sdk/registrar.h"
#include "ssl/sdk/rng.h"

namespace ssl::plugins::evaluator_core {
namespace {

constexpr double kPi = 3.14159265358979323846;
constexpr int64_t kEvalChunk = 8192;

// The argmax of linear(x) for each row of x [N, D]: [N] int64 on x's device.
at::Tensor predict(torch::nn::Linear& linear, const at::Tensor& x) {
  at::NoGradGuard no_grad;
  std::vector<at::Tensor> parts;
  for (int64_t start = 0; start < x.size(0); start += kEvalChunk) {
    const int64_t len = std::min(kEvalChunk, x.size(0) - start);
    parts.push_back(linear->forward(x.narrow(0, start, len)).argmax(1));
  }
  return at::cat(parts, 0);
}

double accuracy(const at::Tensor& predictions, const at::Tensor& y) {
  return predictions.eq(y).sum().item<double>() / static_cast<double>(y.size(0));
}

std::vector<int64_t> shuffled(int64_t n, sdk::Rng& rng) {
  std::vector<int64_t> order(static_cast<size_t>(n));
  std::iota(order.begin(), order.end(), int64_t{0});
  for (int64_t i = n - 1; i > 0; --i)
    std::swap(order[static_cast<size_t>(i)], order[static_cast<size_t>(rng.randint(0, i + 1))]);
  return order;
}

}  // namespace

LinearProbeResult linear_probe(const at::Tensor& train_x, const at::Tensor& train_y, const at::Tensor& test_x,
                               const at::Tensor& test_y, int64_t num_classes, const LinearProbeOptions& options,
                               c10::Device device) {
  SSL_CHECK(train_x.dim() == 2 && train_x.size(0) > 0, "linear: train features must be [N, D], got ", train_x.sizes());
  SSL_CHECK(test_x.dim() == 2 && test_x.size(1) == train_x.size(1), "linear: test features must be [N, ",
            train_x.size(1), "], got ", test_x.sizes());
  SSL_CHECK(
      train_y.dim() == 1 && train_y.size(0) == train_x.size(0) && test_y.dim() == 1 && test_y.size(0) == test_x.size(0),
      "linear: labels must be [N] for each split, got ", train_y.sizes(), " and ", test_y.sizes());
  SSL_CHECK(num_classes >= 1, "linear: num_classes must be >= 1, got ", num_classes);
  SSL_CHECK(options.epochs >= 1 && options.batch_size >= 1 && options.lr > 0,
            "linear: epochs, batch_size and lr must be positive");
  // The softmax-regression gradient is written out (no autograd graph, no optimizer object):
  // per step that is a handful of kernels, ~10x faster than autograd + torch::optim::SGD on
  // 60k x 512 features, with the same update rule as torch.optim.SGD:
  //   g = dL/dw + wd * w;  v = momentum * v + g;  w -= lr * v.
  // It also works whether or not the host evaluates under no-grad or inference mode.
  at::NoGradGuard no_grad;

  // Standardise with the train statistics (zero-variance dimensions stay 0).
  at::Tensor x = train_x.to(device, at::kFloat);
  const at::Tensor mean = x.mean(0, /*keepdim=*/true);
  const at::Tensor std = (x - mean).pow(2).mean(0, /*keepdim=*/true).sqrt().clamp_min(1e-6);
  x = (x - mean) / std;
  const at::Tensor xt = (test_x.to(device, at::kFloat) - mean) / std;
  const at::Tensor y = train_y.to(device, at::kLong);
  const at::Tensor yt = test_y.to(device, at::kLong);

  const int64_t n = x.size(0), dim = x.size(1);
  sdk::Rng rng(options.seed);
  torch::nn::Linear linear(torch::nn::LinearOptions(dim, num_classes));
  {
    // N(0, 0.01) weights and zero bias from the seeded generator (MoCo / DINO linear eval).
    std::vector<float> w(static_cast<size_t>(dim * num_classes));
    for (auto& v : w) v = static_cast<float>(0.01 * rng.normal());
    linear->weight.copy_(at::tensor(w).reshape({num_classes, dim}));
    linear->bias.zero_();
  }
  linear->to(device);
  at::Tensor& weight = linear->weight;  // [C, D]
  at::Tensor& bias = linear->bias;      // [C]
  at::Tensor vw = at::zeros_like(weight), vb = at::zeros_like(bias);

  const int64_t steps_per_epoch = (n + options.batch_size - 1) / options.batch_size;
  const double total_steps = static_cast<double>(steps_per_epoch * options.epochs);
  int64_t step = 0;
  for (int64_t epoch = 0; epoch < options.epochs; ++epoch) {
    const at::Tensor order = at::tensor(shuffled(n, rng)).to(device);
    const at::Tensor xs = x.index_select(0, order), ys = y.index_select(0, order).unsqueeze(1);
    for (int64_t start = 0; start < n; start += options.batch_size, ++step) {
      sdk::throw_if_stopped(options.stop);
      const double lr = options.lr * 0.5 * (1.0 + std::cos(kPi * step / total_steps));
      const int64_t len = std::min(options.batch_size, n - start);
      const at::Tensor xb = xs.narrow(0, start, len);
      // d(mean cross-entropy)/d(logits) = (softmax - onehot) / B.
      at::Tensor g = at::softmax(at::addmm(bias, xb, weight.t()), 1);
      g.scatter_add_(1, ys.narrow(0, start, len), at::full({len, 1}, -1.0, g.options()));
      g.div_(static_cast<double>(len));
      at::Tensor gw = at::matmul(g.t(), xb);  // [C, D]
      if (options.weight_decay > 0) gw.add_(weight, options.weight_decay);
      vw.mul_(options.momentum).add_(gw);
      vb.mul_(options.momentum).add_(g.sum(0));
      weight.sub_(vw, lr);
      bias.sub_(vb, lr);
    }
  }
  const at::Tensor test_predictions = predict(linear, xt);
  return {accuracy(predict(linear, x), y), accuracy(test_predictions, yt), test_predictions.to(at::kCPU)};
}

namespace {

// The `linear` evaluator: metrics top1 (test), train_top1.
class LinearEvaluator final : public sdk::Evaluator {
 public:
  LinearEvaluator(const sdk::Config& config, const sdk::BuildContext&)
      : subset_(config), per_class_(config.get_bool("per_class")) {
    options_.epochs = config.get_int("epochs");
    options_.batch_size = config.get_int("batch_size");
    options_.lr = config.get_float("lr");
    options_.momentum = config.get_float("momentum");
    options_.weight_decay = config.get_float("weight_decay");
  }

  static sdk::Schema schema() {
    sdk::Schema s;
    s.add_int("epochs", 10,
              "passes over the train features (DINO: 100 on ImageNet; 10 converges "
              "on standardised features: ~2 s for 60k x 512 on one core)")
        .min(1);
    s.add_int("batch_size", 256, "mini-batch size (MoCo, DINO: 256)").min(1);
    s.add_float("lr", 0.1, "peak SGD learning rate, cosine-decayed to 0 (features are standardised)").greater_than(0);
    s.add_float("momentum", 0.9, "SGD momentum (MoCo, DINO: 0.9)").min(0).less_than(1);
    s.add_float("weight_decay", 0.0, "L2 penalty on the probe (MoCo, DINO: 0)").min(0);
    TrainTestSubset::add_keys(s, "train samples used (0: all; else a seeded subset)");
    add_per_class_key(s);
    return s;
  }

  sdk::EvalResult evaluate(sdk::EvalContext& ctx) override {
    const TrainTestFeatures data = subset_.features(ctx, "linear");
    LinearProbeOptions options = options_;
    options.seed = ctx.seed;
    options.stop = ctx.stop;
    const LinearProbeResult r = linear_probe(data.train.values, data.train.labels, data.test.values, data.test.labels,
                                             data.num_classes, options, ctx.device);
    sdk::EvalResult out{{{"top1", r.test_top1}, {"train_top1", r.train_top1}}};
    if (per_class_)
      add_per_class_metrics(r.test_predictions, data.test.labels, data.num_classes, ctx.train_class_counts, out);
    return out;
  }

 private:
  LinearProbeOptions options_;
  TrainTestSubset subset_;
  bool per_class_;
};

}  // namespace

void register_linear(sdk::Registrar& r) {
  r.add_evaluator<LinearEvaluator>("linear", "linear probe on frozen, standardised backbone features (SGD)");
}

}  // namespace ssl::plugins::evaluator_core
