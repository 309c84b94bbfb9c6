// augment_throughput: views per second of the augmentation ops, one op at a time and as full
// SimCLR chains, on synthetic images (32 px and 224 px), with 1..N threads.
//
//   ./build/bin/augment_throughput [--threads N] [--samples N] [--repeats N] [--cv-threads N]
//
// --cv-threads sets OpenCV's own thread pool (cv::setNumThreads; default 1, as a loader
// thread per core should not also fan out inside OpenCV).
// Each configuration is warmed up once, then timed `repeats` times; the median is reported.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <opencv2/core/utility.hpp>

#include "ssl/sdk/augmentation.h"
#include "ssl/sdk/dataset.h"
#include "ssl/sdk/plugin_api.h"
#include "ssl/sdk/registrar.h"

SSL_PLUGIN_DECLARE_STATIC(dataset_core);
SSL_PLUGIN_DECLARE_STATIC(augmentation_core);

namespace {

using Values = std::map<std::string, ssl::sdk::Value>;
using Chain = std::vector<std::shared_ptr<ssl::sdk::Augmentation>>;

struct Specs final : ssl::sdk::Registrar {
  std::map<std::string, ssl::sdk::ComponentSpec> by_name;
  void add(ssl::sdk::ComponentSpec spec) override { by_name[spec.name] = std::move(spec); }
};

Specs& specs() {
  static Specs s = [] {
    Specs r;
    ssl_static_plugin_info_dataset_core()->register_components(r);
    ssl_static_plugin_info_augmentation_core()->register_components(r);
    return r;
  }();
  return s;
}

std::shared_ptr<ssl::sdk::Augmentation> op(const std::string& name, const Values& v = {}) {
  const auto& s = specs().by_name.at(name);
  return std::get<1>(s.factory)(s.schema.resolve(v, name), {});
}

Chain simclr_chain(int64_t size, bool blur) {
  Chain c = {op("random_resized_crop", {{"size", size}, {"scale", std::vector<double>{0.2, 1.0}}}),
             op("horizontal_flip"), op("color_jitter"), op("grayscale")};
  if (blur) c.push_back(op("gaussian_blur", {{"kernel_size", int64_t{23}}}));
  c.push_back(op("normalize"));
  return c;
}

// Views per second for `chain` over `images`, split across `threads` threads.
double views_per_second(const Chain& chain, const std::vector<cv::Mat>& images, int threads) {
  std::atomic<int64_t> next{0};
  const auto n = static_cast<int64_t>(images.size());
  const auto start = std::chrono::steady_clock::now();
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t)
    pool.emplace_back([&] {
      for (int64_t i = next++; i < n; i = next++) {
        auto rng = ssl::sdk::Rng::for_sample(0, 0, static_cast<uint64_t>(i), 0);
        cv::Mat x = images[static_cast<size_t>(i)];
        for (const auto& o : chain) x = o->apply(x, rng);
      }
    });
  for (auto& t : pool) t.join();
  const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return static_cast<double>(n) / s;
}

double median_rate(const Chain& chain, const std::vector<cv::Mat>& images, int threads, int repeats) {
  views_per_second(chain, images, threads);  // warm-up
  std::vector<double> rates;
  for (int r = 0; r < repeats; ++r) rates.push_back(views_per_second(chain, images, threads));
  std::sort(rates.begin(), rates.end());
  return rates[rates.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
  int max_threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  int64_t samples = 2000;
  int repeats = 5;
  int cv_threads = 1;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!std::strcmp(argv[i], "--threads")) max_threads = std::atoi(argv[i + 1]);
    else if (!std::strcmp(argv[i], "--samples")) samples = std::atoll(argv[i + 1]);
    else if (!std::strcmp(argv[i], "--repeats")) repeats = std::atoi(argv[i + 1]);
    else if (!std::strcmp(argv[i], "--cv-threads")) cv_threads = std::atoi(argv[i + 1]);
    else {
      std::fprintf(stderr, "usage: %s [--threads N] [--samples N] [--repeats N] [--cv-threads N]\n", argv[0]);
      return 2;
    }
  }
  cv::setNumThreads(cv_threads);
  for (int64_t side : {int64_t{32}, int64_t{224}}) {
    const int64_t n = side == 32 ? samples : std::max<int64_t>(samples / 10, 20);
    const auto& s = specs().by_name.at("synthetic");
    auto data = std::get<0>(s.factory)(
        s.schema.resolve({{"num_samples", n}, {"image_size", side}}, "synthetic"), {});
    std::vector<cv::Mat> images;
    for (int64_t i = 0; i < n; ++i) images.push_back(data->get(i).image);
    const int64_t out = side == 32 ? 28 : 224;
    std::printf("== %lld x %lld RGB input, %lld images, median of %d ==\n", static_cast<long long>(side),
                static_cast<long long>(side), static_cast<long long>(n), repeats);
    const std::vector<std::pair<std::string, Chain>> single = {
        {"random_resized_crop", {op("random_resized_crop", {{"size", out}})}},
        {"horizontal_flip p=1", {op("horizontal_flip", {{"p", 1.0}})}},
        {"color_jitter p=1", {op("color_jitter", {{"p", 1.0}})}},
        {"grayscale p=1", {op("grayscale", {{"p", 1.0}})}},
        {"gaussian_blur p=1", {op("gaussian_blur", {{"p", 1.0}})}},
        {"solarize p=1", {op("solarize", {{"p", 1.0}})}},
        {"normalize", {op("normalize")}}};
    for (const auto& [name, chain] : single)
      std::printf("  %-24s %10.0f views/s (1 thread)\n", name.c_str(), median_rate(chain, images, 1, repeats));
    const Chain full = simclr_chain(out, side > 32);
    for (int t = 1; t <= max_threads; t *= 2)
      std::printf("  %-24s %10.0f views/s (%d thread%s)\n", "SimCLR chain", median_rate(full, images, t, repeats),
                  t, t > 1 ? "s" : "");
  }
  return 0;
}
