// method_pretext: rotation prediction, jigsaw puzzles and context prediction through the static twin, on a width-4
// tiny_cnn.
#include <ATen/ATen.h>
#include <catch2/catch.hpp>
#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <cmath>
#include <set>
#include <string>
#include <vector>

#include "method_test_util.h"
#include "ssl/nn/head.h"
#include "ssl/nn/permutations.h"
#include "ssl/sdk/rng.h"

using namespace method_test;

namespace {

ssl::sdk::Batch one_view(const at::Tensor& images) {
  ssl::sdk::Batch batch;
  batch.views = {images};
  batch.view_group = {0};
  return batch;
}

// x [N, C, H, H] turned 90 degrees counter-clockwise, by the definition out[i][j] = x[j][H-1-i].
at::Tensor turn(const at::Tensor& x) {
  const int64_t h = x.size(2);
  at::Tensor out = at::empty_like(x);
  for (int64_t i = 0; i < h; ++i)
    for (int64_t j = 0; j < h; ++j) out.select(2, i).select(2, j).copy_(x.select(2, j).select(2, h - 1 - i));
  return out;
}

}  // namespace

TEST_CASE("rotation: the loss is the 4-way cross-entropy over the four rotations of every image, by hand") {
  ModelsRegistry registry;
  at::manual_seed(3);
  auto m = build(registry, "rotation", {{"head_hidden_dim", int64_t{16}}});
  m->eval();  // BatchNorm with running statistics: the hand forward below sees the same normalisation
  const at::Tensor x = at::randn({5, 1, 16, 16});
  const auto out = m->training_step(one_view(x), step_info(0));
  std::vector<at::Tensor> copies{x};
  for (int r = 1; r < 4; ++r) copies.push_back(turn(copies.back()));
  auto head = child<ssl::nn::MLPHeadImpl>(*m, "head");
  double want = 0, correct = 0;
  for (int r = 0; r < 4; ++r) {
    const auto L = rows(head->forward(m->backbone()->forward(copies[size_t(r)])));
    for (const auto& row : L) {
      double denom = 0;
      for (double z : row) denom += std::exp(z);
      want -= (row[size_t(r)] - std::log(denom)) / 20.0;
      correct += (std::max_element(row.begin(), row.end()) - row.begin() == r) / 20.0;
    }
  }
  CHECK(out.loss.item<double>() == Approx(want).epsilon(1e-5));
  CHECK(metric(out, "accuracy") == Approx(correct));
  CHECK(metric(out, "uniform_loss_ref") == Approx(std::log(4.0)));
}

TEST_CASE("rotation: SGD steps learn the rotations of a synthetic set, and non-square views are refused") {
  ModelsRegistry registry;
  at::manual_seed(4);
  auto m = build(registry, "rotation", {{"head_hidden_dim", int64_t{16}}});
  // A bright bar along the top edge: each rotation puts it on a different side.
  at::Tensor x = 0.2 * at::randn({16, 1, 16, 16});
  x.narrow(2, 0, 4).add_(2.0);
  const auto batch = one_view(x);
  const double first = sgd_step(*m, batch, step_info(0, 40));
  double last = first;
  for (int64_t s = 1; s < 40; ++s) last = sgd_step(*m, batch, step_info(s, 40));
  CHECK(first > 1.2);  // about ln 4 at the start
  CHECK(last < 0.3);
  CHECK(metric(m->training_step(batch, step_info(40, 40)), "accuracy") == 1.0);
  // The dataset's labels are never needed, and a non-square view has no exact 90-degree turn.
  CHECK_THROWS_WITH(m->training_step(one_view(at::randn({2, 1, 16, 12})), step_info(0)),
                    Catch::Contains("square views"));
}

namespace {

// A jigsaw of 10 puzzles on a 30 px image (3 x 3 cells of 10 px, 8 px tiles: offsets 0..2).
std::shared_ptr<ssl::sdk::Method> small_jigsaw(const ModelsRegistry& registry, bool normalize) {
  return build(registry, "jigsaw",
               {{"permutations", int64_t{10}}, {"image_size", int64_t{30}}, {"tile_size", int64_t{8}},
                {"normalize_tiles", normalize}, {"head_hidden_dim", int64_t{32}}});
}

// image(y, x) = 100 y + x: a tile's first pixel says where it was cut.
cv::Mat coordinate_image() {
  cv::Mat image(30, 30, CV_32F);
  for (int y = 0; y < 30; ++y)
    for (int x = 0; x < 30; ++x) image.at<float>(y, x) = float(100 * y + x);
  return image;
}

at::Tensor to_tensor(const cv::Mat& tile) {
  return at::from_blob(const_cast<float*>(tile.ptr<float>()), {1, 1, tile.rows, tile.cols}, at::kFloat).clone();
}

// The views of `images` through the method's own transform, collated as the loader does.
ssl::sdk::Batch own_views_batch(const ssl::sdk::Method& m, const std::vector<cv::Mat>& images, size_t count,
                                uint64_t seed) {
  std::vector<std::vector<at::Tensor>> views(count);
  std::vector<int64_t> targets;
  for (size_t i = 0; i < images.size(); ++i) {
    ssl::sdk::Rng rng = ssl::sdk::Rng::for_sample(seed, 0, i, 0);
    const auto t = m.sample_transform()->apply(images[i], rng);
    REQUIRE(t.views.size() == count);
    for (size_t v = 0; v < count; ++v) views[v].push_back(to_tensor(t.views[v]));
    targets.push_back(t.targets.at(0));
  }
  ssl::sdk::Batch batch;
  for (auto& v : views) batch.views.push_back(at::cat(v, 0));
  batch.view_group.assign(count, 0);
  batch.targets = at::tensor(targets).view({-1, 1});
  return batch;
}

}  // namespace

TEST_CASE("jigsaw: view i is a tile of cell perms[p][i] inside its cell's jitter range, and the target is p") {
  ModelsRegistry registry;
  auto m = small_jigsaw(registry, false);
  const auto perms = ssl::nn::max_hamming_permutations(10, 9, 0);  // the set the method uses
  const cv::Mat image = coordinate_image();
  std::set<int> offsets;
  std::set<int64_t> targets;
  for (uint64_t seed = 0; seed < 40; ++seed) {
    ssl::sdk::Rng rng(seed);
    const auto t = m->sample_transform()->apply(image, rng);
    REQUIRE(t.targets.size() == 1);
    const int64_t p = t.targets[0];
    REQUIRE(p >= 0);
    REQUIRE(p < 10);
    targets.insert(p);
    // Put every tile back where its first pixel says it came from: the cell must be the one
    // the permutation shows at that position, and the tile a contiguous piece of the image.
    for (size_t i = 0; i < 9; ++i) {
      const cv::Mat& tile = t.views[i];
      REQUIRE(tile.rows == 8);
      REQUIRE(tile.cols == 8);
      const int y0 = int(tile.at<float>(0, 0)) / 100, x0 = int(tile.at<float>(0, 0)) % 100;
      const int64_t cell = (y0 / 10) * 3 + x0 / 10;
      CHECK(cell == perms.perms[size_t(p)][i]);
      CHECK(y0 % 10 <= 2);  // cell side 10 - tile 8: the tile stays inside its cell
      CHECK(x0 % 10 <= 2);
      offsets.insert(y0 % 10);
      offsets.insert(x0 % 10);
      CHECK(tile.at<float>(7, 5) == float(100 * (y0 + 7) + x0 + 5));
    }
  }
  CHECK(offsets == std::set<int>{0, 1, 2});  // the jitter takes every allowed offset
  CHECK(targets.size() > 5);                  // the permutations are drawn, not fixed
  // Normalised tiles: zero mean and unit variance each.
  auto normalized = small_jigsaw(registry, true);
  ssl::sdk::Rng rng(1);
  for (const auto& tile : normalized->sample_transform()->apply(image, rng).views) {
    cv::Scalar mean, stddev;
    cv::meanStdDev(tile, mean, stddev);
    CHECK(std::abs(mean[0]) < 1e-3);
    CHECK(stddev[0] == Approx(1.0).epsilon(1e-3));
  }
  // 8-bit images of another size are resized first.
  ssl::sdk::Rng rng8(2);
  const auto t8 = m->sample_transform()->apply(cv::Mat(28, 28, CV_8UC1, cv::Scalar(128)), rng8);
  CHECK(t8.views[0].type() == CV_32F);
  CHECK(t8.views[0].rows == 8);
  CHECK(t8.views[0].at<float>(3, 3) == Approx(128.0 / 255.0));
  CHECK_THROWS_WITH(build(registry, "jigsaw", {{"image_size", int64_t{30}}, {"tile_size", int64_t{11}}}),
                    Catch::Contains("tile_size 11 does not fit in a cell of the 30 px image"));
}

TEST_CASE("jigsaw: the loss is the P-way cross-entropy of the shuffled tiles and falls with SGD on a fixed set") {
  ModelsRegistry registry;
  at::manual_seed(5);
  auto m = small_jigsaw(registry, true);
  std::vector<cv::Mat> images;
  cv::RNG cv_rng(3);
  for (int i = 0; i < 16; ++i) {
    cv::Mat img(30, 30, CV_32F);
    cv_rng.fill(img, cv::RNG::NORMAL, 0.0, 1.0);
    cv::GaussianBlur(img, img, cv::Size(0, 0), 2.0);
    images.push_back(img);
  }
  const auto batch = own_views_batch(*m, images, 9, 9);
  const auto first_out = m->training_step(batch, step_info(0, 80));
  CHECK(metric(first_out, "uniform_loss_ref") == Approx(std::log(10.0)));
  const double first = sgd_step(*m, batch, step_info(0, 80));
  double last = first;
  for (int64_t s = 1; s < 80; ++s) last = sgd_step(*m, batch, step_info(s, 80));
  CHECK(last < 0.5 * first);
  // Without the permutation targets the step names the problem.
  ssl::sdk::Batch no_targets = batch;
  no_targets.targets = at::Tensor();
  CHECK_THROWS_WITH(m->training_step(no_targets, step_info(0)), Catch::Contains("permutation index"));
}

namespace {

// Context prediction on a 30 px image: cells of 10 px, 6 px patches, centred offset 2 +- 1.
std::shared_ptr<ssl::sdk::Method> small_context(const ModelsRegistry& registry, Values extra = {}) {
  Values v{{"image_size", int64_t{30}}, {"patch_size", int64_t{6}}, {"jitter", int64_t{1}},
           {"normalize_patches", false}, {"head_hidden_dim", int64_t{32}}};
  for (auto& [k, val] : extra) v[k] = val;
  return build(registry, "context_prediction", v);
}

}  // namespace

TEST_CASE("context_prediction: the first patch is the centre cell's, the second the named neighbour's, both within the jitter") {
  ModelsRegistry registry;
  auto m = small_context(registry);
  const cv::Mat image = coordinate_image();
  const std::vector<int64_t> cell_of{0, 1, 2, 3, 5, 6, 7, 8};  // neighbours row-major around the centre
  std::set<int64_t> neighbours;
  std::set<int> offsets;
  for (uint64_t seed = 0; seed < 60; ++seed) {
    ssl::sdk::Rng rng(seed);
    const auto t = m->sample_transform()->apply(image, rng);
    REQUIRE(t.views.size() == 2);
    REQUIRE(t.targets.size() == 1);
    const int64_t k = t.targets[0];
    REQUIRE(k >= 0);
    REQUIRE(k < 8);
    neighbours.insert(k);
    for (size_t v = 0; v < 2; ++v) {
      const int y0 = int(t.views[v].at<float>(0, 0)) / 100, x0 = int(t.views[v].at<float>(0, 0)) % 100;
      CHECK((y0 / 10) * 3 + x0 / 10 == (v == 0 ? 4 : cell_of[size_t(k)]));
      CHECK(y0 % 10 >= 1);  // middle offset 2, jitter 1
      CHECK(y0 % 10 <= 3);
      CHECK(x0 % 10 >= 1);
      CHECK(x0 % 10 <= 3);
      offsets.insert(x0 % 10);
      CHECK(t.views[v].at<float>(5, 4) == float(100 * (y0 + 5) + x0 + 4));
    }
  }
  CHECK(neighbours.size() == 8);
  CHECK(offsets == std::set<int>{1, 2, 3});

  // Colour dropping keeps one channel of an RGB patch and replaces the other two by noise.
  auto dropping = small_context(registry, {{"drop_colour", true}});
  cv::Mat rgb(30, 30, CV_32FC3, cv::Scalar(0.2, 0.5, 0.8));
  ssl::sdk::Rng rng(4);
  std::vector<cv::Mat> channels;
  cv::split(dropping->sample_transform()->apply(rgb, rng).views[0], channels);
  int kept = 0;
  for (int c = 0; c < 3; ++c) kept += cv::countNonZero(channels[size_t(c)] != float(0.2 + 0.3 * c)) == 0;
  CHECK(kept == 1);
  // Down-and-up sampling to 4 pixels (2 x 2) always: a fine checkerboard blurs away.
  auto down = small_context(registry, {{"downsample_probability", 1.0}, {"downsample_pixels", int64_t{4}}});
  cv::Mat board(30, 30, CV_32F);
  for (int y = 0; y < 30; ++y)
    for (int x = 0; x < 30; ++x) board.at<float>(y, x) = float((x + y) % 2);
  ssl::sdk::Rng r1(1), r2(1);
  cv::Scalar mean_plain, sd_plain, mean_down, sd_down;
  cv::meanStdDev(m->sample_transform()->apply(board, r1).views[0], mean_plain, sd_plain);
  cv::meanStdDev(down->sample_transform()->apply(board, r2).views[0], mean_down, sd_down);
  CHECK(sd_plain[0] > 0.45);
  CHECK(sd_down[0] < 0.1);
  CHECK_THROWS_WITH(build(registry, "context_prediction", {{"image_size", int64_t{30}}, {"patch_size", int64_t{11}}}),
                    Catch::Contains("patch_size 11 does not fit in a cell of the 30 px image"));
}

TEST_CASE("context_prediction: the loss is the 8-way cross-entropy of the neighbour and falls with SGD on a fixed set") {
  ModelsRegistry registry;
  at::manual_seed(6);
  auto m = small_context(registry, {{"normalize_patches", true}});
  std::vector<cv::Mat> images;
  cv::RNG cv_rng(5);
  for (int i = 0; i < 16; ++i) {
    cv::Mat img(30, 30, CV_32F);
    cv_rng.fill(img, cv::RNG::NORMAL, 0.0, 1.0);
    cv::GaussianBlur(img, img, cv::Size(0, 0), 2.0);
    images.push_back(img);
  }
  const auto batch = own_views_batch(*m, images, 2, 11);
  CHECK(metric(m->training_step(batch, step_info(0, 80)), "uniform_loss_ref") == Approx(std::log(8.0)));
  const double first = sgd_step(*m, batch, step_info(0, 80));
  double last = first;
  for (int64_t s = 1; s < 80; ++s) last = sgd_step(*m, batch, step_info(s, 80));
  CHECK(last < 0.5 * first);
}
