// loader_throughput: the host's Loader (worker threads, per-view op chains, collation into
// float NCHW batches) over Fashion-MNIST train with the views of an augmentation preset
// (default configs/augment/simclr_small.toml: 2 SimCLR views).
//
//   ./build/bin/loader_throughput [--root DIR] [--preset FILE] [--workers 2] [--batch 256]
//                                 [--batches 100] [--repeats 5] [--step-seconds 0]
//
// Throughput mode (--step-seconds 0): each repetition starts an epoch (shuffled, its own
// seed), takes 2 untimed warm-up batches, then times the next `batches` batches consumed as
// fast as possible; prints batches/s and images/s (images = samples, each with all views)
// per repetition and the medians ("median_batches_per_second", "median_images_per_second").
// After one untimed warm-up repetition.
//
// Training mode (--step-seconds S > 0): the consumer sleeps S seconds per batch, standing
// in for a training step; a repetition runs from start_epoch to the last of `batches`
// batches and reports the loader wait fraction = (wait_seconds() delta) / wall time.
// A sleep uses no CPU, so this shows whether the workers keep up, not the effect of a step
// competing with them for the cores.
#include <chrono>
#include <cstdio>
#include <string>
#include <thread>
#include <vector>

#include <ATen/ATen.h>
#include <opencv2/core/utility.hpp>

#include "bench_common.h"

namespace {
using Clock = std::chrono::steady_clock;
double seconds_since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }
}  // namespace

int main(int argc, char** argv) {
  const auto flags = ssl::bench::parse_flags(argc, argv,
                                             {{"root", "/usr/share/datasets/fashion-mnist"},
                                              {"preset", "configs/augment/simclr_small.toml"},
                                              {"workers", "2"},
                                              {"batch", "256"},
                                              {"batches", "100"},
                                              {"repeats", "5"},
                                              {"step-seconds", "0"}});
  cv::setNumThreads(1);  // the workers are the parallelism, as in the host
  ssl::host::LoaderOptions options;
  options.workers = std::stoll(flags.at("workers"));
  options.batch_size = std::stoll(flags.at("batch"));
  const int64_t batches = std::stoll(flags.at("batches"));
  const int repeats = std::stoi(flags.at("repeats"));
  const double step = std::stod(flags.at("step-seconds"));

  auto chains = ssl::bench::chains_from_preset(flags.at("preset"));
  const size_t num_views = chains.size();
  ssl::host::Loader loader(ssl::bench::idx_view(flags.at("root"), "train"), std::move(chains), nullptr, options);
  const int64_t warmup = step > 0 ? 0 : 2;
  SSL_CHECK(warmup + batches <= loader.batches_per_epoch(), "--batches ", batches, " + ", warmup,
            " warm-up exceeds the ", loader.batches_per_epoch(), " batches of an epoch");
  std::printf("C++ Loader: %lld workers, batch %lld, %zu views from %s, %lld batches per repetition%s\n",
              static_cast<long long>(options.workers), static_cast<long long>(options.batch_size), num_views,
              flags.at("preset").c_str(), static_cast<long long>(batches),
              step > 0 ? (", consumer step " + std::to_string(step) + " s").c_str() : "");

  double checksum = 0.0;
  auto consume = [&](const ssl::host::HostBatch& b) { checksum += b.views[0][0][0][0][0].item<double>(); };

  if (step > 0) {
    std::vector<double> fractions;
    for (int r = 0; r < repeats; ++r) {
      const double wait0 = loader.wait_seconds();
      const auto t0 = Clock::now();
      loader.start_epoch(r);
      for (int64_t b = 0; b < batches; ++b) {
        auto batch = loader.next();
        consume(*batch);
        std::this_thread::sleep_for(std::chrono::duration<double>(step));
      }
      const double total = seconds_since(t0), wait = loader.wait_seconds() - wait0;
      fractions.push_back(wait / total);
      std::printf("  repetition %d: wall %.3f s, waited %.4f s, wait fraction %.3f%%\n", r + 1, total, wait,
                  100.0 * fractions.back());
    }
    std::printf("median_wait_fraction_percent %.4f\n", 100.0 * ssl::bench::median(fractions));
    return 0;
  }

  auto run = [&](int64_t epoch) {
    loader.start_epoch(epoch);
    for (int64_t b = 0; b < warmup; ++b) consume(*loader.next());
    const auto t0 = Clock::now();
    for (int64_t b = 0; b < batches; ++b) consume(*loader.next());
    return static_cast<double>(batches) / seconds_since(t0);
  };
  run(1000);  // warm-up repetition
  std::vector<double> rates;
  for (int r = 0; r < repeats; ++r) {
    rates.push_back(run(r));
    std::printf("  repetition %d: %.2f batches/s, %.0f images/s\n", r + 1, rates.back(),
                rates.back() * static_cast<double>(options.batch_size));
  }
  const double med = ssl::bench::median(rates);
  std::printf("  checksum %.3f\n", checksum);
  std::printf("median_batches_per_second %.3f\n", med);
  std::printf("median_images_per_second %.1f\n", med * static_cast<double>(options.batch_size));
  return 0;
}
