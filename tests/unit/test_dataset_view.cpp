#include <catch2/catch.hpp>
#include <opencv2/core.hpp>

#include <vector>

#include "dataset_view.h"
#include "fake_plugin.h"
#include "host_schema.h"

using namespace ssl::host;
using ssl::sdk::Value;

namespace {
ssl::sdk::Config common(std::map<std::string, Value> given) {
  return common_component_schema(ssl::sdk::Kind::Dataset).resolve(given, "test");
}
auto counting(int64_t n, int64_t classes) { return std::make_shared<ssl::test::CountingDataset>(n, classes); }
}  // namespace

TEST_CASE("a seeded subset keeps the requested count, the same for the same seed") {
  DatasetView a(counting(100, 10), common({{"subset", Value(int64_t{30})}}), 7, "a");
  DatasetView b(counting(100, 10), common({{"subset", Value(int64_t{30})}}), 7, "b");
  DatasetView c(counting(100, 10), common({{"subset", Value(int64_t{30})}}), 8, "c");
  REQUIRE(a.size() == 30);
  bool same_as_b = true, same_as_c = true;
  for (int64_t i = 0; i < 30; ++i) {
    same_as_b = same_as_b && a.base_index(i) == b.base_index(i);
    same_as_c = same_as_c && a.base_index(i) == c.base_index(i);
  }
  CHECK(same_as_b);
  CHECK_FALSE(same_as_c);
  DatasetView f(counting(100, 10), common({{"subset_fraction", Value(0.25)}}), 7, "f");
  CHECK(f.size() == 25);
}

TEST_CASE("a class filter keeps only the listed labels") {
  DatasetView v(counting(100, 10), common({{"classes", Value(std::vector<int64_t>{2, 5})}}), 0, "v");
  CHECK(v.size() == 20);
  for (int64_t i = 0; i < v.size(); ++i) CHECK((v.label(i) == 2 || v.label(i) == 5));
  CHECK_THROWS_WITH(DatasetView(counting(100, 10), common({{"classes", Value(std::vector<int64_t>{42})}}), 0, "v"),
                    Catch::Contains("no image has one of the labels"));
}

TEST_CASE("long-tail subsampling follows the exponential profile") {
  DatasetView v(counting(1000, 10), common({{"imbalance_ratio", Value(10.0)}}), 0, "lt");
  const auto counts = v.class_counts();
  REQUIRE(counts.size() == 10);
  CHECK(counts[0] == 100);
  CHECK(counts[9] == 10);
  for (int64_t c = 0; c < 10; ++c) CHECK(counts[static_cast<size_t>(c)] == long_tail_count(100, c, 10, 10.0));
  CHECK(long_tail_count(100, 5, 11, 100.0) == 10);
}

TEST_CASE("cached images are returned without decoding again") {
  DatasetView v(counting(10, 2), common({{"cache", Value(true)}}), 0, "cache");
  const auto a = v.get(3), b = v.get(3);
  CHECK(a.image.data == b.image.data);
  CHECK(a.label == 1);
}

TEST_CASE("per_class keeps at most N seeded images of each class, after the long-tail profile") {
  DatasetView v(counting(1000, 10), common({{"per_class", Value(int64_t{30})}}), 3, "pc");
  CHECK(v.class_counts() == std::vector<int64_t>(10, 30));
  DatasetView same(counting(1000, 10), common({{"per_class", Value(int64_t{30})}}), 3, "pc");
  DatasetView other(counting(1000, 10), common({{"per_class", Value(int64_t{30})}}), 4, "pc");
  bool same_rows = true, other_rows = true;
  for (int64_t i = 0; i < v.size(); ++i) {
    same_rows = same_rows && v.base_index(i) == same.base_index(i);
    other_rows = other_rows && v.base_index(i) == other.base_index(i);
  }
  CHECK(same_rows);
  CHECK_FALSE(other_rows);
  CHECK(v.base_index(v.size() - 1) != 299);  // a seeded draw, not the first 30 of each class
  // Classes with fewer images than the cap keep them all: ratio 10 gives 100 ... 10.
  DatasetView lt(counting(1000, 10), common({{"imbalance_ratio", Value(10.0)}, {"per_class", Value(int64_t{30})}}),
                 0, "lt");
  const auto counts = lt.class_counts();
  REQUIRE(counts.size() == 10);
  CHECK(counts[0] == 30);
  CHECK(counts[9] == 10);
  // Then the subset draws from what is left.
  DatasetView sub(counting(1000, 10), common({{"per_class", Value(int64_t{30})}, {"subset", Value(int64_t{50})}}), 0,
                  "sub");
  CHECK(sub.size() == 50);
  CHECK_THROWS_WITH(DatasetView(counting(100, 0), common({{"per_class", Value(int64_t{5})}}), 0, "unlabelled"),
                    Catch::Contains("unlabelled: per_class needs a labelled dataset"));
}

TEST_CASE("part = [k, n] keeps the images whose index is k mod n, before the class filter") {
  DatasetView even(counting(100, 10), common({{"part", Value(std::vector<int64_t>{0, 2})}}), 0, "even");
  DatasetView odd(counting(100, 10), common({{"part", Value(std::vector<int64_t>{1, 2})}}), 0, "odd");
  REQUIRE(even.size() == 50);
  REQUIRE(odd.size() == 50);
  for (int64_t i = 0; i < 50; ++i) {
    CHECK(even.base_index(i) == 2 * i);  // disjoint parts that together are the whole split
    CHECK(odd.base_index(i) == 2 * i + 1);
  }
  DatasetView fives(counting(100, 10),
                    common({{"part", Value(std::vector<int64_t>{1, 2})}, {"classes", Value(std::vector<int64_t>{2, 5})}}),
                    0, "fives");
  CHECK(fives.size() == 10);  // odd indices of labels 2 and 5: label 5 only
  for (const auto& bad : {std::vector<int64_t>{2, 2}, std::vector<int64_t>{1}, std::vector<int64_t>{-1, 3}})
    CHECK_THROWS_WITH(DatasetView(counting(100, 10), common({{"part", Value(bad)}}), 0, "bad"),
                      Catch::Contains("bad: part = [k, n] keeps part k of n (0 <= k < n)"));
}

TEST_CASE("style restyles every image deterministically: sketch draws dark strokes on white, inverted flips") {
  cv::Mat square(16, 16, CV_8UC1, cv::Scalar(0));
  square(cv::Rect(5, 5, 6, 6)).setTo(255);
  const cv::Mat s = apply_image_style(square, ImageStyle::Sketch);
  REQUIRE(s.type() == CV_8UC1);
  REQUIRE(s.size() == square.size());
  CHECK(s.at<uint8_t>(0, 0) == 255);   // flat background: no stroke
  CHECK(s.at<uint8_t>(8, 8) == 255);   // flat inside the square
  double darkest = 0;
  cv::minMaxLoc(s, &darkest);
  CHECK(darkest == 0);                 // the strongest edge is black
  CHECK(s.at<uint8_t>(8, 5) < 128);    // on the square's outline
  CHECK(cv::countNonZero(s != apply_image_style(square, ImageStyle::Sketch)) == 0);  // deterministic

  cv::Mat colour;
  cv::merge(std::vector<cv::Mat>{square, square, square}, colour);
  const cv::Mat sc = apply_image_style(colour, ImageStyle::Sketch);
  REQUIRE(sc.type() == CV_8UC3);
  std::vector<cv::Mat> planes;
  cv::split(sc, planes);
  CHECK(cv::countNonZero(planes[0] != s) == 0);
  cv::Mat f;
  square.convertTo(f, CV_32F, 1.0 / 255);
  const cv::Mat sf = apply_image_style(f, ImageStyle::Sketch);
  REQUIRE(sf.type() == CV_32FC1);
  CHECK(sf.at<float>(8, 5) == Approx(s.at<uint8_t>(8, 5) / 255.0).margin(1.0 / 255));

  CHECK(apply_image_style(square, ImageStyle::Inverted).at<uint8_t>(0, 0) == 255);
  CHECK(apply_image_style(square, ImageStyle::Inverted).at<uint8_t>(8, 8) == 0);
  CHECK(apply_image_style(f, ImageStyle::Inverted).at<float>(8, 8) == 0.0f);
  CHECK(apply_image_style(square, ImageStyle::None).data == square.data);
  CHECK_THROWS_WITH(parse_image_style("cartoon"), Catch::Contains("unknown image style 'cartoon'"));

  // Through a dataset view: image i of the counting dataset is filled with i % 256.
  DatasetView v(counting(10, 2), common({{"style", Value(std::string("inverted"))}, {"cache", Value(true)}}), 0, "v");
  CHECK(v.get(3).image.at<uint8_t>(0, 0) == 252);
  CHECK(v.get(3).image.at<uint8_t>(0, 0) == 252);  // from the cache, styled once
}
