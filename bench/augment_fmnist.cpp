// augment_fmnist: images per second of one view chain of an augmentation preset (default: the
// SimCLR chain of configs/augment/simclr_small.toml) on real Fashion-MNIST images, on ONE
// thread, including the conversion to the final float CHW tensor the loader does
// (ssl::host::image_to_chw), i.e. the same work as torchvision's chain + ToTensor + Normalize.
//
//   ./build/bin/augment_fmnist [--root DIR] [--preset FILE] [--images N] [--repeats R]
//
// The first N training images are decoded into memory before timing. One untimed warm-up
// pass, then R timed passes (each with fresh random parameters: the pass number is the
// Rng epoch); prints every pass and the median as "median_images_per_second <x>".
#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <opencv2/core/utility.hpp>

#include "bench_common.h"

int main(int argc, char** argv) {
  const auto flags = ssl::bench::parse_flags(argc, argv,
                                             {{"root", "/usr/share/datasets/fashion-mnist"},
                                              {"preset", "configs/augment/simclr_small.toml"},
                                              {"images", "10000"},
                                              {"repeats", "5"}});
  cv::setNumThreads(1);  // one thread, OpenCV's pool included
  at::set_num_threads(1);
  const auto chains = ssl::bench::chains_from_preset(flags.at("preset"));
  const auto& chain = chains.at(0).ops;
  const auto data = ssl::bench::idx_view(flags.at("root"), "train");
  const int64_t n = std::min<int64_t>(std::stoll(flags.at("images")), data->size());
  const int repeats = std::stoi(flags.at("repeats"));

  std::vector<cv::Mat> images;
  for (int64_t i = 0; i < n; ++i) images.push_back(data->get(i).image);

  // Output buffer shaped like the loader's batch tensor: [n, C, H, W] float32.
  cv::Mat probe = images[0];
  ssl::sdk::Rng probe_rng(0);
  for (const auto& op : chain) probe = op->apply(probe, probe_rng);
  at::Tensor out = at::empty({n, probe.channels(), probe.rows, probe.cols}, at::kFloat);
  float* dst = out.data_ptr<float>();
  const int64_t stride = out.stride(0);

  auto pass = [&](uint64_t epoch) {
    const auto t0 = std::chrono::steady_clock::now();
    for (int64_t i = 0; i < n; ++i) {
      auto rng = ssl::sdk::Rng::for_sample(0, epoch, static_cast<uint64_t>(i), 0);
      cv::Mat x = images[static_cast<size_t>(i)];
      for (const auto& op : chain) x = op->apply(x, rng);
      ssl::host::image_to_chw(x, dst + i * stride);
    }
    return static_cast<double>(n) / std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  };

  std::printf("C++ augment: %lld Fashion-MNIST images, chain of %zu ops from %s, output %lldx%lldx%lld float\n",
              static_cast<long long>(n), chain.size(), flags.at("preset").c_str(),
              static_cast<long long>(out.size(1)), static_cast<long long>(out.size(2)),
              static_cast<long long>(out.size(3)));
  pass(1000);  // warm-up
  std::vector<double> rates;
  for (int r = 0; r < repeats; ++r) {
    rates.push_back(pass(static_cast<uint64_t>(r)));
    std::printf("  pass %d: %.0f images/s\n", r + 1, rates.back());
  }
  // Keep the output observable so the conversion cannot be optimised away.
  std::printf("  checksum %.3f\n", out.sum().item<double>());
  std::printf("median_images_per_second %.1f\n", ssl::bench::median(rates));
  return 0;
}
