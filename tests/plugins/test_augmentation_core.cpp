// augmentation_core: each op's statistics over seeded draws, exact values, determinism, validation.
#include <catch2/catch.hpp>
#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>

#include <cmath>

#include "../../plugins/augmentation_core/geometric.h"
#include "data_plugins.h"

using ssl::sdk::Rng;
using ssl_test::error_of;
using ssl_test::make_op;

namespace {
bool same(const cv::Mat& a, const cv::Mat& b) {
  return a.size() == b.size() && a.type() == b.type() && cv::norm(a, b, cv::NORM_INF) == 0;
}
cv::Mat random_rgb(int h, int w, uint64_t seed) {
  Rng rng(seed);
  cv::Mat m(h, w, CV_8UC3);
  for (auto it = m.begin<cv::Vec3b>(); it != m.end<cv::Vec3b>(); ++it)
    for (int c = 0; c < 3; ++c) (*it)[c] = static_cast<uint8_t>(rng.randint(0, 256));
  return m;
}
}  // namespace

TEST_CASE("random resized crop boxes respect the scale and ratio bounds", "[augmentation_core][crop]") {
  using ssl::plugins::augmentation_core::sample_resized_crop_box;
  Rng rng(1);
  const int h = 120, w = 90;
  double mean_fraction = 0;
  for (int i = 0; i < 3000; ++i) {
    const cv::Rect box = sample_resized_crop_box(h, w, 0.2, 0.6, 3.0 / 4.0, 4.0 / 3.0, rng);
    REQUIRE(box.x >= 0);
    REQUIRE(box.y >= 0);
    REQUIRE(box.x + box.width <= w);
    REQUIRE(box.y + box.height <= h);
    const double fraction = double(box.area()) / (h * w);
    const double aspect = double(box.width) / box.height;
    // Rounding of each side to whole pixels moves the area by at most ~ (w + h) / 2 pixels.
    const double slack = 0.5 * (box.width + box.height + 1) / (h * w);
    CHECK(fraction >= 0.2 - slack);
    CHECK(fraction <= 0.6 + slack);
    CHECK(aspect >= 0.75 * (1 - 1.0 / box.height) - 1e-9);
    CHECK(aspect <= 4.0 / 3.0 * (1 + 1.0 / box.height) + 1e-9);
    mean_fraction += fraction / 3000;
  }
  CHECK(mean_fraction == Approx(0.4).margin(0.02));  // area ~ U(0.2, 0.6)
}

TEST_CASE("random resized crop falls back to a centred crop clamped to the ratio", "[augmentation_core][crop]") {
  using ssl::plugins::augmentation_core::sample_resized_crop_box;
  Rng rng(2);
  // A 10x100 strip cannot hold a square covering 90% of it: all attempts fail.
  const cv::Rect box = sample_resized_crop_box(10, 100, 0.9, 1.0, 1.0, 1.0, rng);
  CHECK(box == cv::Rect(45, 0, 10, 10));
}

TEST_CASE("random resized crop outputs the requested size and is deterministic", "[augmentation_core][crop]") {
  auto op = make_op("random_resized_crop", {{"size", int64_t{24}}, {"width", int64_t{16}},
                                            {"interpolation", std::string("bilinear")}});
  const cv::Mat image = random_rgb(40, 50, 3);
  Rng a(9), b(9), c(10);
  const cv::Mat out = op->apply(image, a);
  CHECK(out.rows == 24);
  CHECK(out.cols == 16);
  CHECK(out.type() == CV_8UC3);
  CHECK(same(out, op->apply(image, b)));
  CHECK_FALSE(same(out, op->apply(image, c)));
  cv::Mat f;
  image.convertTo(f, CV_32FC3, 1.0 / 255);
  CHECK(op->apply(f, a).type() == CV_32FC3);
}

TEST_CASE("horizontal flip mirrors with probability p", "[augmentation_core][flip]") {
  auto op = make_op("horizontal_flip", {{"p", 0.3}});
  cv::Mat image = (cv::Mat_<uint8_t>(1, 3) << 1, 2, 3);
  Rng rng(4);
  int flips = 0;
  for (int i = 0; i < 4000; ++i) {
    const cv::Mat out = op->apply(image, rng);
    if (out.at<uint8_t>(0, 0) == 3) {
      ++flips;
      CHECK(out.at<uint8_t>(0, 2) == 1);
    } else {
      CHECK(same(out, image));
    }
  }
  CHECK(flips / 4000.0 == Approx(0.3).margin(0.03));
}

TEST_CASE("color jitter keeps values in range, applies at rate p and spares gray images' colour", "[augmentation_core][color]") {
  auto op = make_op("color_jitter", {{"p", 0.8}});
  const cv::Mat image = random_rgb(8, 8, 5);
  cv::Mat f;
  image.convertTo(f, CV_32FC3, 1.0 / 255);
  Rng rng(5);
  int changed = 0;
  for (int i = 0; i < 1000; ++i) {
    const cv::Mat out = op->apply(f, rng);
    REQUIRE(out.type() == CV_32FC3);
    double lo, hi;
    cv::minMaxLoc(out.reshape(1), &lo, &hi);
    CHECK(lo >= 0.0);
    CHECK(hi <= 1.0);
    changed += same(out, f) ? 0 : 1;
  }
  CHECK(changed / 1000.0 == Approx(0.8).margin(0.04));
  // Brightness alone scales every value by one factor in [0.6, 1.4].
  auto bright = make_op("color_jitter", {{"p", 1.0}, {"contrast", 0.0}, {"saturation", 0.0}, {"hue", 0.0}});
  const cv::Mat mid(4, 4, CV_8UC3, cv::Scalar(100, 50, 20));
  for (int i = 0; i < 50; ++i) {
    const cv::Mat out = bright->apply(mid, rng);
    const double k = out.at<cv::Vec3b>(0, 0)[0] / 100.0;
    CHECK(k >= 0.59);
    CHECK(k <= 1.41);
    CHECK(out.at<cv::Vec3b>(3, 3)[1] == Approx(50 * k).margin(1.0));
  }
  // Saturation and hue cannot colour a gray image; 1-channel images stay 1-channel.
  auto hue_sat = make_op("color_jitter", {{"p", 1.0}, {"brightness", 0.0}, {"contrast", 0.0}, {"hue", 0.5}, {"saturation", 0.9}});
  const cv::Mat gray3(4, 4, CV_8UC3, cv::Scalar(90, 90, 90));
  CHECK(cv::norm(hue_sat->apply(gray3, rng), gray3, cv::NORM_INF) <= 1.0);
  const cv::Mat gray1(4, 4, CV_8UC1, cv::Scalar(90));
  CHECK(same(hue_sat->apply(gray1, rng), gray1));
  CHECK(op->apply(gray1, rng).type() == CV_8UC1);
}

TEST_CASE("grayscale fires at rate p, keeps three channels and ignores 1-channel images", "[augmentation_core][color]") {
  auto op = make_op("grayscale", {{"p", 0.2}});
  const cv::Mat image = random_rgb(4, 4, 6);
  Rng rng(6);
  int grays = 0;
  for (int i = 0; i < 4000; ++i) {
    const cv::Mat out = op->apply(image, rng);
    REQUIRE(out.channels() == 3);
    std::vector<cv::Mat> ch;
    cv::split(out, ch);
    if (same(ch[0], ch[1]) && same(ch[1], ch[2])) ++grays;
  }
  CHECK(grays / 4000.0 == Approx(0.2).margin(0.025));
  const cv::Mat one(3, 3, CV_8UC1, cv::Scalar(7));
  auto always = make_op("grayscale", {{"p", 1.0}});
  CHECK(same(always->apply(one, rng), one));
}

TEST_CASE("solarize inverts exactly the values at or above the threshold", "[augmentation_core][color]") {
  auto op = make_op("solarize", {{"p", 1.0}});
  cv::Mat ramp(1, 256, CV_8UC1);
  for (int v = 0; v < 256; ++v) ramp.at<uint8_t>(v) = static_cast<uint8_t>(v);
  Rng rng(7);
  const cv::Mat out = op->apply(ramp, rng);
  for (int v = 0; v < 256; ++v) CHECK(out.at<uint8_t>(v) == (v >= 128 ? 255 - v : v));
  cv::Mat f;
  ramp.convertTo(f, CV_32F, 1.0 / 255);
  const cv::Mat outf = op->apply(f, rng);
  CHECK(outf.at<float>(127) == Approx(127 / 255.0));
  CHECK(outf.at<float>(128) == Approx(1 - 128 / 255.0));
  auto rare = make_op("solarize", {{"p", 0.2}});
  int fired = 0;
  for (int i = 0; i < 4000; ++i) fired += same(rare->apply(ramp, rng), ramp) ? 0 : 1;
  CHECK(fired / 4000.0 == Approx(0.2).margin(0.025));
}

TEST_CASE("gaussian blur smooths while keeping the mean, and p 0 is the identity", "[augmentation_core][blur]") {
  auto op = make_op("gaussian_blur", {{"p", 1.0}, {"sigma", std::vector<double>{1.0, 2.0}}});
  cv::Mat checker(32, 32, CV_8UC1);
  for (int y = 0; y < 32; ++y)
    for (int x = 0; x < 32; ++x) checker.at<uint8_t>(y, x) = ((x + y) % 2) ? 200 : 40;
  Rng rng(8);
  const cv::Mat out = op->apply(checker, rng);
  cv::Scalar m_in, s_in, m_out, s_out;
  cv::meanStdDev(checker, m_in, s_in);
  cv::meanStdDev(out, m_out, s_out);
  CHECK(m_out[0] == Approx(m_in[0]).margin(1.0));
  CHECK(s_out[0] < 0.2 * s_in[0]);
  auto never = make_op("gaussian_blur", {{"p", 0.0}});
  CHECK(same(never->apply(checker, rng), checker));
  CHECK_THAT(error_of([] { make_op("gaussian_blur", {{"kernel_size", int64_t{4}}}); }), Catch::Contains("kernel_size"));
}

TEST_CASE("rotate by right angles is exact and picks every listed angle", "[augmentation_core][rotate]") {
  auto op = make_op("rotate", {{"angles", std::vector<double>{90.0}}});
  const cv::Mat image = (cv::Mat_<uint8_t>(2, 3) << 1, 2, 3, 4, 5, 6);
  Rng rng(9);
  const cv::Mat out = op->apply(image, rng);
  REQUIRE(out.rows == 3);
  CHECK(out.at<uint8_t>(0, 0) == 3);  // counter-clockwise: the top-right corner moves to the top-left
  CHECK(out.at<uint8_t>(2, 1) == 4);
  auto four = make_op("rotate", {{"angles", std::vector<double>{0, 90, 180, 270}}});
  const cv::Mat sq = (cv::Mat_<uint8_t>(2, 2) << 1, 2, 3, 4);
  std::map<int, int> corner_counts;
  for (int i = 0; i < 2000; ++i) ++corner_counts[four->apply(sq, rng).at<uint8_t>(0, 0)];
  REQUIRE(corner_counts.size() == 4);
  for (auto [value, count] : corner_counts) CHECK(count / 2000.0 == Approx(0.25).margin(0.04));
  auto small = make_op("rotate", {{"degrees", std::vector<double>{-10.0, 10.0}}});
  CHECK(small->apply(random_rgb(9, 9, 1), rng).size() == cv::Size(9, 9));
}

TEST_CASE("resize and center crop produce the requested geometry", "[augmentation_core][geometry]") {
  Rng rng(10);
  const cv::Mat image = random_rgb(40, 60, 2);
  CHECK(make_op("resize", {{"size", int64_t{20}}})->apply(image, rng).size() == cv::Size(20, 20));
  CHECK(make_op("resize", {{"size", int64_t{20}}, {"keep_aspect", true}})->apply(image, rng).size() == cv::Size(30, 20));
  const cv::Mat crop = make_op("center_crop", {{"size", int64_t{10}}, {"width", int64_t{20}}})->apply(image, rng);
  CHECK(same(crop, image(cv::Rect(20, 15, 20, 10))));
  const cv::Mat tiny(2, 2, CV_8UC1, cv::Scalar(9));
  const cv::Mat padded = make_op("center_crop", {{"size", int64_t{4}}})->apply(tiny, rng);
  CHECK(padded.at<uint8_t>(0, 0) == 0);
  CHECK(padded.at<uint8_t>(1, 1) == 9);
  CHECK(padded.at<uint8_t>(2, 2) == 9);
}

TEST_CASE("normalize converts to float and standardises each channel exactly", "[augmentation_core][normalize]") {
  Rng rng(11);
  auto op = make_op("normalize", {{"mean", std::vector<double>{0.5, 0.2, 0.0}}, {"std", std::vector<double>{0.25, 0.5, 2.0}}});
  const cv::Mat image(2, 2, CV_8UC3, cv::Scalar(51, 102, 255));
  const cv::Mat out = op->apply(image, rng);
  REQUIRE(out.type() == CV_32FC3);
  const auto px = out.at<cv::Vec3f>(1, 1);
  CHECK(px[0] == Approx((0.2 - 0.5) / 0.25));
  CHECK(px[1] == Approx((0.4 - 0.2) / 0.5));
  CHECK(px[2] == Approx(0.5));
  auto fm = make_op("normalize", {{"mean", std::vector<double>{0.2860}}, {"std", std::vector<double>{0.3530}}});
  const cv::Mat g = fm->apply(cv::Mat(1, 1, CV_32FC1, cv::Scalar(0.2860f)), rng);
  CHECK(g.at<float>(0, 0) == Approx(0.0).margin(1e-6));
  CHECK_THAT(error_of([&] { op->apply(cv::Mat(1, 1, CV_8UC1, cv::Scalar(1)), rng); }),
             Catch::Contains("mean has 3 entries for a 1-channel image"));
}

TEST_CASE("a full SimCLR view chain is a pure function of the Rng seed", "[augmentation_core][determinism]") {
  std::vector<std::shared_ptr<ssl::sdk::Augmentation>> chain = {
      make_op("random_resized_crop", {{"size", int64_t{24}}}), make_op("horizontal_flip"),
      make_op("color_jitter"), make_op("grayscale"), make_op("gaussian_blur"), make_op("solarize"),
      make_op("normalize")};
  const cv::Mat image = random_rgb(32, 32, 12);
  auto run = [&](uint64_t seed) {
    Rng rng = Rng::for_sample(seed, 1, 2, 0);
    cv::Mat x = image;
    for (const auto& op : chain) x = op->apply(x, rng);
    return x;
  };
  for (uint64_t seed = 0; seed < 20; ++seed) CHECK(same(run(seed), run(seed)));
  CHECK_FALSE(same(run(1), run(2)));
  CHECK(image.at<cv::Vec3b>(0, 0) == random_rgb(32, 32, 12).at<cv::Vec3b>(0, 0));  // input untouched
}

TEST_CASE("invalid augmentation parameters are refused by the schema or the factory", "[augmentation_core][validation]") {
  CHECK_THAT(error_of([] { make_op("random_resized_crop", {{"scale", std::vector<double>{0.9, 0.1}}}); }),
             Catch::Contains("'scale'"));
  CHECK_THAT(error_of([] { make_op("random_resized_crop", {{"scale", std::vector<double>{0.5, 1.5}}}); }),
             Catch::Contains("scale"));
  CHECK_THAT(error_of([] { make_op("random_resized_crop", {{"interpolation", std::string("lanczos")}}); }),
             Catch::Contains("interpolation"));
  CHECK_THAT(error_of([] { make_op("color_jitter", {{"hue", 0.7}}); }), Catch::Contains("hue"));
  CHECK_THAT(error_of([] { make_op("normalize", {{"std", std::vector<double>{0.0}}}); }), Catch::Contains("std"));
  CHECK_THAT(error_of([] { make_op("rotate", {{"degrees", std::vector<double>{10.0, -10.0}}}); }), Catch::Contains("degrees"));
  CHECK_THAT(error_of([] { make_op("resize", {}); }), Catch::Contains("size"));
}
