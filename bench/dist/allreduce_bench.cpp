// The communication cost of one data-parallel step: averaging the gradients of SimCLR with
// resnet_small (the Fashion-MNIST pipelines' backbone) and with ResNet-18 over W processes on
// this host (Gloo over the loopback), two ways:
//   per tensor: one blocking all-reduce per parameter, in backward order (no buckets);
//   bucketed:   the trainer's GradReducer (1 MiB first bucket, then 25 MiB), its buckets
//               filled by the hooks during a backward pass that does nothing else.
// Prints the median milliseconds per step of each and their ratio; rank 0 prints.
//   ./build/bin/allreduce_bench [--nproc W] [--steps N] [--repeats N]
// It starts its W workers itself (the --nproc launcher of ssl-host).
#include <ATen/ATen.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "dist/dist_env.h"
#include "dist/grad_reducer.h"
#include "dist/launcher.h"
#include "dist/process_group.h"
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

// SimCLR's trained parameters with the given backbone (as the trainer would reduce them).
std::vector<at::Tensor> simclr_parameters(const Specs& specs, const std::string& backbone, const Values& bvalues,
                                          int64_t channels, int64_t size, std::shared_ptr<ssl::sdk::Method>& keep) {
  ssl::sdk::BuildContext ctx;
  ctx.role = "method";
  ctx.comm = ssl::sdk::make_local_comm();
  ctx.input_channels = channels;
  ctx.input_size = size;
  const auto& bspec = specs.get(ssl::sdk::Kind::Backbone, backbone);
  const auto bcfg = bspec.schema.resolve(bvalues, "backbone " + backbone);
  ctx.make_backbone = [&bspec, bcfg, ctx] { return std::get<2>(bspec.factory)(bcfg, ctx); };
  const auto& mspec = specs.get(ssl::sdk::Kind::Method, "simclr");
  const auto mcfg = mspec.schema.resolve(
      Values{{"proj_hidden_dim", int64_t{512}}, {"proj_dim", int64_t{128}}, {"temperature", 0.2}}, "method simclr");
  keep = std::get<3>(mspec.factory)(mcfg, ctx);
  std::vector<at::Tensor> out;
  for (auto& g : keep->parameter_groups())
    for (auto& p : g.params)
      if (p.requires_grad()) out.push_back(p);
  return out;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

void measure(ssl::host::ProcessGroupComm& comm, const std::string& name, const std::vector<at::Tensor>& params,
             int steps, int repeats) {
  int64_t numel = 0;
  for (const auto& p : params) numel += p.numel();
  std::vector<at::Tensor> grads;
  for (const auto& p : params) grads.push_back(at::randn(p.sizes()));

  auto per_tensor = [&] {
    for (size_t k = grads.size(); k-- > 0;) comm.all_reduce_sum(grads[k]);
  };
  ssl::host::GradReducer reducer(params, comm);
  auto bucketed = [&] {
    at::Tensor loss = at::zeros({});
    for (size_t k = 0; k < params.size(); ++k) loss = loss + (params[k] * grads[k]).sum();
    reducer.prepare();
    loss.backward();
    reducer.finish();
  };
  auto time_ms = [&](const std::function<void()>& fn) {
    fn();  // warm-up
    std::vector<double> per_step;
    for (int r = 0; r < repeats; ++r) {
      comm.barrier();
      const auto t0 = Clock::now();
      for (int s = 0; s < steps; ++s) fn();
      per_step.push_back(std::chrono::duration<double, std::milli>(Clock::now() - t0).count() / steps);
    }
    return median(per_step);
  };
  // The bucketed path includes a trivial backward pass; measure it alone and subtract it.
  auto backward_only = [&] {
    at::Tensor loss = at::zeros({});
    for (size_t k = 0; k < params.size(); ++k) loss = loss + (params[k] * grads[k]).sum();
    loss.backward();
  };
  const double a = time_ms(per_tensor), b_total = time_ms(bucketed), bw = time_ms(backward_only);
  const double b = std::max(b_total - bw, 1e-6);
  const auto buckets = reducer.bucket_params().size();
  if (comm.rank() == 0)
    std::printf("%-34s %3zu tensors %6.2f MB  per tensor %8.3f ms  bucketed (%zu buckets) %8.3f ms  ratio %.2fx\n",
                name.c_str(), params.size(), double(numel) * 4 / 1e6, a, buckets, b, a / b);
}

}  // namespace

int main(int argc, char** argv) {
  int nproc = 2, steps = 20, repeats = 5;
  for (int i = 1; i < argc; ++i) {
    auto next = [&] { return i + 1 < argc ? std::atoi(argv[++i]) : 0; };
    if (!std::strcmp(argv[i], "--nproc")) nproc = next();
    else if (!std::strcmp(argv[i], "--steps")) steps = next();
    else if (!std::strcmp(argv[i], "--repeats")) repeats = next();
    else {
      std::fprintf(stderr, "usage: %s [--nproc W] [--steps N] [--repeats N]\n", argv[0]);
      return 2;
    }
  }
  try {
    const auto env = ssl::host::dist_env_from_process();
    if (!env) {
      ssl::host::LaunchOptions launch;
      launch.nproc = std::max(2, nproc);
      return ssl::host::launch_workers(launch, std::vector<std::string>(argv, argv + argc), nullptr);
    }
    ssl::host::configure_threads(1);
    at::manual_seed(0);
    Specs specs;
    ssl_static_plugin_info_backbone_resnet()->register_components(specs);
    ssl_static_plugin_info_method_contrastive()->register_components(specs);
    auto comm = ssl::host::connect_process_group(*env);
    if (comm->rank() == 0)
      std::printf("gradient all-reduce over %lld processes (Gloo, loopback), %d steps x %d repeats, median\n",
                  static_cast<long long>(comm->world_size()), steps, repeats);
    std::shared_ptr<ssl::sdk::Method> small, r18;
    measure(*comm, "SimCLR + resnet_small (32, [1,1,1,1])",
            simclr_parameters(specs, "resnet_small",
                              Values{{"width", int64_t{32}}, {"blocks", std::vector<int64_t>{1, 1, 1, 1}}}, 1, 28, small),
            steps, repeats);
    measure(*comm, "SimCLR + resnet18 (CIFAR stem)", simclr_parameters(specs, "resnet18", Values{}, 3, 32, r18), steps,
            repeats);
    comm->barrier();
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "allreduce_bench: %s\n", e.what());
    return 1;
  }
}
