// simclr_compute_bound: the training step of bench/training/simclr_bench.toml on fixed random
// tensors, no data loading — the ceiling `ssl-host run` can reach on this machine.
//
//   ./build/bin/simclr_compute_bound [--steps N] [--warmup N] [--repeats N] [--batch N]
//                                    [--threads N] [--stem-stride N] [--channels-last]
//
// Model: method_contrastive/simclr (projector 256-512-128, tau 0.2) over
// backbone_resnet/resnet_small (width 32, blocks [1,1,1,1]) on [batch, 1, 28, 28] x 2,
// built through the plugins' static twins exactly as the host builds them; optimizer: the
// host's own ssl::host::Optimizer (SGD, momentum 0.9, weight decay 1e-4, lr 0.1).
// One step = what host/src/trainer.cpp does per batch: training_step, loss.item(),
// zero_grad, backward, optimizer step. Images per second count images (each = two views).
// Prints one line per repeat and `median_img_per_s <value>` last.
#include <ATen/ATen.h>
#include <ATen/Parallel.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "host_schema.h"
#include "optim.h"
#include "runtime.h"
#include "ssl/sdk/backbone.h"
#include "ssl/sdk/comm.h"
#include "ssl/sdk/error.h"
#include "ssl/sdk/method.h"
#include "ssl/sdk/plugin_api.h"
#include "ssl/sdk/registrar.h"
#include "../static_specs.h"

SSL_PLUGIN_DECLARE_STATIC(backbone_resnet);
SSL_PLUGIN_DECLARE_STATIC(method_contrastive);

namespace {

using Values = std::map<std::string, ssl::sdk::Value>;
using Clock = std::chrono::steady_clock;

using Specs = ssl::bench::StaticSpecs;

struct Options {
  int steps = 30, warmup = 5, repeats = 3, batch = 256, threads = 2, stem_stride = 1;
  bool channels_last = false;
};

Options parse(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    auto next = [&](const char* flag) {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "%s needs a value\n", flag);
        std::exit(2);
      }
      return std::atoi(argv[++i]);
    };
    if (!std::strcmp(argv[i], "--steps")) o.steps = next("--steps");
    else if (!std::strcmp(argv[i], "--warmup")) o.warmup = next("--warmup");
    else if (!std::strcmp(argv[i], "--repeats")) o.repeats = next("--repeats");
    else if (!std::strcmp(argv[i], "--batch")) o.batch = next("--batch");
    else if (!std::strcmp(argv[i], "--threads")) o.threads = next("--threads");
    else if (!std::strcmp(argv[i], "--stem-stride")) o.stem_stride = next("--stem-stride");
    else if (!std::strcmp(argv[i], "--channels-last")) o.channels_last = true;
    else {
      std::fprintf(stderr, "usage: %s [--steps N] [--warmup N] [--repeats N] [--batch N] "
                   "[--threads N] [--stem-stride N] [--channels-last]\n", argv[0]);
      std::exit(2);
    }
  }
  return o;
}

}  // namespace

int main(int argc, char** argv) {
  const Options o = parse(argc, argv);
  ssl::host::configure_threads(o.threads);  // what ssl-host does: torch threads, one BLAS thread each
  at::manual_seed(0);

  Specs specs;
  ssl_static_plugin_info_backbone_resnet()->register_components(specs);
  ssl_static_plugin_info_method_contrastive()->register_components(specs);

  ssl::sdk::BuildContext ctx;
  ctx.role = "method";
  ctx.comm = ssl::sdk::make_local_comm();
  ctx.input_channels = 1;
  ctx.input_size = 28;
  const auto& bspec = specs.get(ssl::sdk::Kind::Backbone, "resnet_small");
  const auto bcfg = bspec.schema.resolve(
      Values{{"width", int64_t{32}}, {"blocks", std::vector<int64_t>{1, 1, 1, 1}}, {"stem_stride", int64_t{o.stem_stride}}},
      "backbone resnet_small");
  ctx.make_backbone = [&bspec, &bcfg, ctx] { return std::get<2>(bspec.factory)(bcfg, ctx); };
  const auto& mspec = specs.get(ssl::sdk::Kind::Method, "simclr");
  const auto mcfg = mspec.schema.resolve(Values{{"proj_hidden_dim", int64_t{512}},
                                                {"proj_dim", int64_t{128}},
                                                {"temperature", 0.2}},
                                         "method simclr");
  std::shared_ptr<ssl::sdk::Method> method = std::get<3>(mspec.factory)(mcfg, ctx);
  method->train();
  if (o.channels_last) {  // as trainer.cpp does for trainer.channels_last
    at::NoGradGuard no_grad;
    for (auto& p : method->parameters())
      if (p.dim() == 4) p.set_data(p.data().contiguous(at::MemoryFormat::ChannelsLast));
  }

  const auto ocfg = ssl::host::optimizer_schema().resolve(
      Values{{"type", std::string("sgd")}, {"lr", 0.1}, {"momentum", 0.9}, {"weight_decay", 1e-4}},
      "optimizer");
  ssl::host::Optimizer opt(method->parameter_groups(), ocfg, 1.0);

  ssl::sdk::Batch batch;
  for (int v = 0; v < 2; ++v) {
    at::Tensor t = at::randn({o.batch, 1, 28, 28});
    if (o.channels_last) t = t.contiguous(at::MemoryFormat::ChannelsLast);
    batch.views.push_back(t);
  }
  batch.view_group = {0, 0};
  batch.labels = at::zeros({o.batch}, at::kLong);
  batch.indices = at::arange(o.batch, at::kLong);

  ssl::sdk::StepInfo info{0, 0, 1000, 1000};
  double last_loss = 0.0;
  auto step = [&] {
    ssl::sdk::StepOutput out = method->training_step(batch, info);
    last_loss = out.loss.item<double>();
    opt.zero_grad();
    out.loss.backward();
    opt.step(0.1);
    method->after_step(info);
    ++info.step;
  };

  for (int i = 0; i < o.warmup; ++i) step();
  std::vector<double> rates;
  for (int r = 0; r < o.repeats; ++r) {
    const auto t0 = Clock::now();
    for (int i = 0; i < o.steps; ++i) step();
    const double secs = std::chrono::duration<double>(Clock::now() - t0).count();
    rates.push_back(double(o.steps) * o.batch / secs);
    std::printf("repeat %d: %d steps in %.2f s, %.1f img/s (loss %.4f)\n", r + 1, o.steps, secs,
                rates.back(), last_loss);
  }
  std::sort(rates.begin(), rates.end());
  std::printf("median_img_per_s %.1f\n", rates[rates.size() / 2]);
  return 0;
}
