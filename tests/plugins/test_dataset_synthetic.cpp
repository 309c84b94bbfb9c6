// dataset_core: the synthetic dataset is deterministic, thread-safe and learnable.
#include <catch2/catch.hpp>
#include <opencv2/imgproc.hpp>

#include <thread>

#include "data_plugins.h"

using ssl_test::make_dataset;

namespace {
ssl_test::Values synth(int64_t n, int64_t size, int64_t channels, int64_t seed, int64_t classes = 10) {
  return {{"num_samples", n}, {"image_size", size}, {"channels", channels}, {"seed", seed},
          {"num_classes", classes}};
}
bool same(const cv::Mat& a, const cv::Mat& b) {
  return a.size() == b.size() && a.type() == b.type() && cv::norm(a, b, cv::NORM_INF) == 0;
}
}  // namespace

TEST_CASE("synthetic images depend only on seed and index", "[dataset_core][synthetic]") {
  auto a = make_dataset("synthetic", synth(64, 32, 3, 7));
  auto b = make_dataset("synthetic", synth(64, 32, 3, 7));
  auto c = make_dataset("synthetic", synth(64, 32, 3, 8));
  const auto info = a->info();
  CHECK(info.channels == 3);
  CHECK(info.height == 32);
  CHECK(info.num_classes == 10);
  CHECK(info.class_names[0] == "circle");
  int differing = 0;
  for (int64_t i = 0; i < 64; ++i) {
    const auto s = a->get(i);
    REQUIRE(s.image.type() == CV_8UC3);
    CHECK(same(s.image, b->get(i).image));
    CHECK(same(s.image, a->get(i).image));
    CHECK(s.label == a->labels()[static_cast<size_t>(i)]);
    differing += same(s.image, c->get(i).image) ? 0 : 1;
  }
  CHECK(differing == 64);
  // Concurrent readers see the same images.
  std::vector<cv::Mat> from_threads(64);
  std::thread t1([&] { for (int i = 0; i < 64; i += 2) from_threads[static_cast<size_t>(i)] = a->get(i).image; });
  std::thread t2([&] { for (int i = 1; i < 64; i += 2) from_threads[static_cast<size_t>(i)] = a->get(i).image; });
  t1.join();
  t2.join();
  for (int i = 0; i < 64; ++i) CHECK(same(from_threads[static_cast<size_t>(i)], b->get(i).image));
  auto gray = make_dataset("synthetic", synth(4, 20, 1, 7));
  CHECK(gray->get(3).image.type() == CV_8UC1);
  CHECK(gray->get(3).image.rows == 20);
}

TEST_CASE("synthetic classes are distinct enough for nearest neighbours to beat chance clearly", "[dataset_core][synthetic]") {
  // 1-NN on 16x16 pixel vectors, both in colour and in gray (shape alone). Chance is 10%.
  for (int64_t channels : {int64_t{3}, int64_t{1}}) {
    auto train = make_dataset("synthetic", synth(1000, 32, channels, 1));
    auto test = make_dataset("synthetic", synth(200, 32, channels, 2));
    auto features = [](const cv::Mat& image) {
      cv::Mat small, f;
      cv::resize(image, small, cv::Size(16, 16), 0, 0, cv::INTER_AREA);
      small.reshape(1, 1).convertTo(f, CV_32F);
      return f;
    };
    cv::Mat bank;
    for (int64_t i = 0; i < train->size(); ++i) bank.push_back(features(train->get(i).image));
    const auto train_labels = train->labels();
    int correct = 0;
    for (int64_t i = 0; i < test->size(); ++i) {
      const auto s = test->get(i);
      const cv::Mat q = features(s.image);
      double best = 1e300;
      int64_t best_label = -1;
      for (int r = 0; r < bank.rows; ++r) {
        const double d = cv::norm(bank.row(r), q, cv::NORM_L2SQR);
        if (d < best) { best = d; best_label = train_labels[static_cast<size_t>(r)]; }
      }
      correct += best_label == s.label ? 1 : 0;
    }
    const double accuracy = correct / 200.0;
    INFO("channels " << channels << " 1-NN accuracy " << accuracy);
    CHECK(accuracy > (channels == 3 ? 0.5 : 0.25));
  }
}
