#include <catch2/catch.hpp>

#include <ATen/ATen.h>

#include <cmath>
#include <set>
#include <vector>

#include "fake_plugin.h"
#include "host_schema.h"
#include "loader.h"

using namespace ssl::host;

namespace {
std::shared_ptr<DatasetView> view(int64_t n) {
  auto common = common_component_schema(ssl::sdk::Kind::Dataset).resolve({}, "test");
  return std::make_shared<DatasetView>(std::make_shared<ssl::test::CountingDataset>(n, 4), common, 0, "counting");
}

std::vector<ViewChain> two_noisy_views() {
  auto op = std::make_shared<ssl::test::NoiseOp>();
  return {ViewChain{{op}, 0, "group 0"}, ViewChain{{op}, 0, "group 0"}};
}

std::vector<at::Tensor> epoch_batches(int64_t workers, int64_t epoch) {
  LoaderOptions o;
  o.batch_size = 5;
  o.workers = workers;
  o.prefetch = 3;
  o.seed = 11;
  Loader loader(view(37), two_noisy_views(), nullptr, o);
  loader.start_epoch(epoch);
  std::vector<at::Tensor> out;
  while (auto b = loader.next()) {
    out.push_back(at::cat({b->views[0].flatten(), b->views[1].flatten(), b->indices.to(at::kFloat)}));
  }
  return out;
}
}  // namespace

TEST_CASE("batches are identical with 1, 2 and 4 loader threads") {
  const auto one = epoch_batches(1, 3);
  REQUIRE(one.size() == 7);  // 37 images, batch 5, drop_last
  for (int64_t workers : {2, 4}) {
    const auto many = epoch_batches(workers, 3);
    REQUIRE(many.size() == one.size());
    for (size_t i = 0; i < one.size(); ++i) CHECK(at::equal(one[i], many[i]));
  }
}

TEST_CASE("each epoch has its own shuffle and its own augmentation draws") {
  const auto e0 = epoch_batches(2, 0), e1 = epoch_batches(2, 1);
  CHECK_FALSE(at::equal(e0[0], e1[0]));
}

TEST_CASE("views of one image get different random draws") {
  LoaderOptions o;
  o.batch_size = 8;
  Loader loader(view(16), two_noisy_views(), nullptr, o);
  loader.start_epoch(0);
  auto b = loader.next();
  REQUIRE(b);
  CHECK(b->views.size() == 2);
  CHECK(b->views[0].sizes() == at::IntArrayRef({8, 1, 8, 8}));
  CHECK_FALSE(at::equal(b->views[0], b->views[1]));
}

TEST_CASE("shards of two ranks are disjoint and cover the epoch") {
  std::set<int64_t> seen;
  for (int64_t rank = 0; rank < 2; ++rank) {
    LoaderOptions o;
    o.batch_size = 4;
    o.rank = rank;
    o.world_size = 2;
    o.seed = 5;
    Loader loader(view(16), two_noisy_views(), nullptr, o);
    loader.start_epoch(0);
    while (auto b = loader.next())
      for (int64_t i = 0; i < b->indices.size(0); ++i) CHECK(seen.insert(b->indices[i].item<int64_t>()).second);
  }
  CHECK(seen.size() == 16);
}

TEST_CASE("the ranks' k-th batches together are the single-process k-th batch, views included") {
  LoaderOptions one;
  one.batch_size = 6;
  one.seed = 9;
  one.drop_last = false;
  Loader single(view(16), two_noisy_views(), nullptr, one);
  single.start_epoch(1);
  std::vector<HostBatch> whole;
  while (auto b = single.next()) whole.push_back(std::move(*b));
  REQUIRE(whole.size() == 3);  // 6, 6 and a final 4

  std::vector<std::vector<HostBatch>> ranks(2);
  for (int64_t rank = 0; rank < 2; ++rank) {
    LoaderOptions o = one;
    o.batch_size = 3;
    o.rank = rank;
    o.world_size = 2;
    Loader loader(view(16), two_noisy_views(), nullptr, o);
    CHECK(loader.batches_per_epoch() == 3);
    loader.start_epoch(1);
    while (auto b = loader.next()) ranks[static_cast<size_t>(rank)].push_back(std::move(*b));
  }
  for (size_t k = 0; k < whole.size(); ++k) {
    REQUIRE(ranks[0].size() == whole.size());
    REQUIRE(ranks[1].size() == whole.size());
    CHECK(at::equal(at::cat({ranks[0][k].indices, ranks[1][k].indices}), whole[k].indices));
    for (size_t v = 0; v < 2; ++v)
      CHECK(at::equal(at::cat({ranks[0][k].views[v], ranks[1][k].views[v]}), whole[k].views[v]));
  }
  CHECK(ranks[0][2].indices.size(0) == 2);  // the final 4 split evenly
}

TEST_CASE("drop_last off keeps the short final batch and resume skips batches") {
  LoaderOptions o;
  o.batch_size = 5;
  o.drop_last = false;
  o.shuffle = false;
  Loader loader(view(12), two_noisy_views(), nullptr, o);
  CHECK(loader.batches_per_epoch() == 3);
  loader.start_epoch(0, 2);
  auto b = loader.next();
  REQUIRE(b);
  CHECK(b->indices.size(0) == 2);
  CHECK(b->indices[0].item<int64_t>() == 10);
  CHECK_FALSE(loader.next());
}

namespace {
class GrowingOp final : public ssl::sdk::Augmentation {
 public:
  cv::Mat apply(const cv::Mat& image, ssl::sdk::Rng& rng) const override {
    cv::Mat out(image.rows + static_cast<int>(rng.randint(0, 2)), image.cols, image.type(), cv::Scalar::all(0));
    return out;
  }
};
}  // namespace

TEST_CASE("a view group whose images differ in size fails naming the group and index") {
  LoaderOptions o;
  o.batch_size = 16;
  Loader loader(view(16), {ViewChain{{std::make_shared<GrowingOp>()}, 0, "view group 0 (global)"}}, nullptr, o);
  loader.start_epoch(0);
  CHECK_THROWS_WITH(loader.next(), Catch::Contains("view group 0 (global) produced a 1x") &&
                                       Catch::Contains("views in a group must share one size"));
}

TEST_CASE("image_to_chw scales 8-bit images to [0, 1] and transposes HWC to CHW") {
  cv::Mat img(1, 2, CV_8UC3);
  img.at<cv::Vec3b>(0, 0) = {255, 0, 51};
  img.at<cv::Vec3b>(0, 1) = {0, 102, 0};
  std::vector<float> out(6);
  image_to_chw(img, out.data());
  const std::vector<float> want{1.0f, 0.0f, 0.0f, 0.4f, 0.2f, 0.0f};
  for (size_t i = 0; i < want.size(); ++i) CHECK(out[i] == Approx(want[i]));
}

namespace {
std::vector<int64_t> weighted_order(std::vector<double> w, int64_t epoch, int64_t rank = 0, int64_t world = 1) {
  LoaderOptions o;
  o.batch_size = 4;
  o.seed = 9;
  o.rank = rank;
  o.world_size = world;
  Loader loader(view(static_cast<int64_t>(w.size())), two_noisy_views(), nullptr, o);
  loader.set_sampling_weights(std::move(w));
  return loader.epoch_order(epoch);
}
}  // namespace

TEST_CASE("sampling weights draw positions in proportion, seeded by epoch, never a zero-weight one") {
  // 400 positions: weight 3 on the first 100, 1 on the next 200, 0 on the last 100.
  std::vector<double> w(400, 1.0);
  for (size_t i = 0; i < 100; ++i) w[i] = 3.0;
  for (size_t i = 300; i < 400; ++i) w[i] = 0.0;
  const auto order = weighted_order(w, 0);
  REQUIRE(order.size() == 400);  // as many draws as an unweighted epoch
  int64_t heavy = 0, zero = 0;
  for (const int64_t p : order) heavy += p < 100, zero += p >= 300;
  CHECK(zero == 0);
  // Expected share of the heavy block: 300 / 500 = 0.6 (binomial sd ~ 0.025).
  CHECK(double(heavy) / 400.0 == Approx(0.6).margin(0.08));
  CHECK(std::set<int64_t>(order.begin(), order.end()).size() < 300);  // drawn with replacement
  CHECK(weighted_order(w, 0) == order);   // deterministic
  CHECK(weighted_order(w, 1) != order);   // each epoch its own draws
  // Ranks take their rows of every global batch (2 x 4) of the one shared order.
  const auto r0 = weighted_order(w, 0, 0, 2), r1 = weighted_order(w, 0, 1, 2);
  std::vector<int64_t> e0, e1;
  for (size_t i = 0; i < order.size(); ++i) (i % 8 < 4 ? e0 : e1).push_back(order[i]);
  CHECK(e0 == r0);
  CHECK(e1 == r1);
}

TEST_CASE("sampling weights: clearing them restores the shuffle, bad weights fail naming the problem") {
  LoaderOptions o;
  o.batch_size = 4;
  o.seed = 9;
  Loader loader(view(16), two_noisy_views(), nullptr, o);
  const auto plain = loader.epoch_order(2);
  loader.set_sampling_weights(std::vector<double>(16, 1.0));
  CHECK(loader.weighted());
  CHECK(loader.epoch_order(2) != plain);
  loader.set_sampling_weights({});
  CHECK_FALSE(loader.weighted());
  CHECK(loader.epoch_order(2) == plain);
  CHECK_THROWS_WITH(loader.set_sampling_weights(std::vector<double>(15, 1.0)), Catch::Contains("15 weights for a training set of 16"));
  std::vector<double> bad(16, 1.0);
  bad[7] = -1.0;
  CHECK_THROWS_WITH(loader.set_sampling_weights(bad), Catch::Contains("sample 7 is -1"));
  bad[7] = std::nan("");
  CHECK_THROWS_WITH(loader.set_sampling_weights(bad), Catch::Contains("sample 7"));
  CHECK_THROWS_WITH(loader.set_sampling_weights(std::vector<double>(16, 0.0)), Catch::Contains("every weight"));
  CHECK_FALSE(loader.weighted());  // a refused set leaves the plain shuffle
  // The epoch's batches follow the weighted order: only the weighted position comes out.
  std::vector<double> one(16, 0.0);
  one[5] = 2.0;
  loader.set_sampling_weights(one);
  loader.start_epoch(0);
  while (auto b = loader.next()) CHECK(at::equal(b->indices, at::full({4}, 5, at::kLong)));
}
