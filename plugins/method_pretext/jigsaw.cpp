// Jigsaw puzzles (Noroozi & Favaro, "Unsupervised Learning of Visual Representations by
// Solving Jigsaw Puzzles", ECCV 2016). The image is resized to image_size x image_size and
// cut into a 3 x 3 grid of cells; from each cell a tile_size tile is cropped at a random
// offset (so neighbouring tiles do not share edges a network could match), each tile is
// normalised on its own (zero mean, unit variance: no shortcut through brightness or
// contrast continuity), and the 9 tiles are shown in the order of one of P permutations.
// The shared backbone embeds every tile, the 9 features are concatenated in the order shown,
// and a head classifies which permutation it was: a P-way cross-entropy.
//
// The permutation set is nn::max_hamming_permutations(P, 9, permutation_seed): chosen
// greedily for maximal minimum Hamming distance, computed once per process for each
// (P, seed) and shared (its minimum and mean distance are logged when the method is built).
//
// The tiles come from the method's own SampleTransform (it replaces the pipeline's [[views]]
// for training); evaluators and backbone.pt see the backbone on whole images through the
// evaluation transform, as for every method.
//
// Checkpointed state: backbone, head.
#include <ATen/ATen.h>
#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>

#include <chrono>
#include <iomanip>
#include <map>
#include <memory>
#include <mutex>
#include <sstream>
#include <utility>
#include <vector>

#include "ssl/nn/head.h"
#include "ssl/nn/method_support.h"
#include "ssl/nn/permutations.h"
#include "ssl/sdk/error.h"
#include "ssl/sdk/log.h"
#include "ssl/sdk/registrar.h"

#include "pretext_common.h"

namespace ssl::plugins::method_pretext {
namespace {

constexpr int64_t kTiles = 9;

// The permutation set for (count, seed), built on first use and shared by every method of
// the process (a study's arms, a resumed run's rebuild).
std::shared_ptr<const nn::PermutationSet> permutation_set(int64_t count, uint64_t seed) {
  static std::mutex mutex;
  static std::map<std::pair<int64_t, uint64_t>, std::shared_ptr<const nn::PermutationSet>> cache;
  std::lock_guard<std::mutex> lock(mutex);
  auto& slot = cache[{count, seed}];
  if (!slot) {
    const auto start = std::chrono::steady_clock::now();
    slot = std::make_shared<const nn::PermutationSet>(nn::max_hamming_permutations(count, kTiles, seed));
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::ostringstream line;
    line << std::fixed << std::setprecision(2) << "jigsaw: " << count << " permutations of 9 tiles (seed " << seed
         << "): minimum Hamming distance " << slot->min_distance << ", mean " << slot->mean_distance << " (" << s
         << " s)";
    sdk::log_info(line.str());
  }
  return slot;
}

class JigsawTransform final : public sdk::SampleTransform {
 public:
  JigsawTransform(std::shared_ptr<const nn::PermutationSet> perms, int image_size, int tile_size, bool normalize)
      : perms_(std::move(perms)), image_size_(image_size), tile_size_(tile_size), normalize_(normalize) {}

  // image (any size, 8-bit or float, 1 or 3 channels) -> 9 float tiles [tile, tile] in the
  // order of permutation p: view i is the tile cut from cell perms[p][i] (cells row-major);
  // targets {p}.
  sdk::TransformedSample apply(const cv::Mat& image, sdk::Rng& rng) const override {
    const cv::Mat f = float_square(image, image_size_, "jigsaw");
    const int cell = image_size_ / 3;
    const int64_t p = rng.randint(0, static_cast<int64_t>(perms_->perms.size()));
    std::vector<cv::Mat> tiles;
    for (int c = 0; c < kTiles; ++c) {
      const int y = (c / 3) * cell + static_cast<int>(rng.randint(0, cell - tile_size_ + 1));
      const int x = (c % 3) * cell + static_cast<int>(rng.randint(0, cell - tile_size_ + 1));
      const cv::Mat tile = f(cv::Rect(x, y, tile_size_, tile_size_)).clone();
      tiles.push_back(normalize_ ? standardized(tile) : tile);
    }
    sdk::TransformedSample out;
    for (int64_t i = 0; i < kTiles; ++i) out.views.push_back(tiles[static_cast<size_t>(perms_->perms[size_t(p)][size_t(i)])]);
    out.targets = {p};
    return out;
  }

 private:
  std::shared_ptr<const nn::PermutationSet> perms_;
  int image_size_, tile_size_;
  bool normalize_;
};

class Jigsaw final : public sdk::Method {
 public:
  Jigsaw(const sdk::Config& cfg, const sdk::BuildContext& ctx) : count_(cfg.get_int("permutations")) {
    const auto image_size = static_cast<int>(cfg.get_int("image_size"));
    const auto tile_size = static_cast<int>(cfg.get_int("tile_size"));
    SSL_CHECK(tile_size <= image_size / 3, "jigsaw: tile_size ", tile_size, " does not fit in a cell of the ",
              image_size, " px image (", image_size / 3, " px; 3 x 3 cells)");
    transform_ = std::make_shared<JigsawTransform>(
        permutation_set(count_, static_cast<uint64_t>(cfg.get_int("permutation_seed"))), image_size, tile_size,
        cfg.get_bool("normalize_tiles"));
    backbone_ = register_module("backbone", nn::build_backbone(ctx, "jigsaw"));
    head_ = register_module("head", nn::make_head(cfg, "head", kTiles * backbone_->num_features(), count_));
  }

  static sdk::Schema schema() {
    sdk::Schema s;
    s.add_int("permutations", 100, "P: the puzzles the classifier tells apart (paper: 64..1000, best 1000)")
        .range(2, 1000);
    s.add_int("permutation_seed", 0, "seed of the permutation set (the same set across runs and arms by default)")
        .min(0);
    s.add_int("image_size", 66, "the image is resized to this square first (3 x 3 cells of image_size / 3)")
        .range(6, 1024);
    s.add_int("tile_size", 18, "side of a tile, cropped at a random offset inside its cell (<= image_size / 3)")
        .range(2, 341);
    s.add_bool("normalize_tiles", true, "normalise every tile on its own (zero mean, unit variance)");
    nn::add_head_keys(s, "head", "permutation classifier (on the 9 concatenated tile features)",
                      nn::HeadDefaults{1024, 0, 2, true, false});
    return s;
  }
  static sdk::ViewSpec views(const sdk::Config&) { return {kTiles, kTiles, true}; }

  std::shared_ptr<sdk::Backbone> backbone() const override { return backbone_; }
  std::shared_ptr<const sdk::SampleTransform> sample_transform() const override { return transform_; }

  // views: the 9 tiles [N, C, t, t] in the order shown, targets [N, 1] the permutation ->
  // loss; metrics loss, accuracy, uniform_loss_ref = ln P.
  sdk::StepOutput training_step(const sdk::Batch& batch, const sdk::StepInfo&) override {
    SSL_CHECK(batch.views.size() == size_t(kTiles), "jigsaw: expects its 9 tiles, got ", batch.views.size(), " views");
    SSL_CHECK(batch.targets.defined() && batch.targets.dim() == 2 && batch.targets.size(1) == 1,
              "jigsaw: expects the permutation index as the batch's targets [N, 1]");
    const int64_t n = batch.views[0].size(0);
    const at::Tensor features = backbone_->forward(at::cat(batch.views, 0));  // [9N, F], position-major
    const at::Tensor joined = features.view({kTiles, n, -1}).transpose(0, 1).reshape({n, -1});
    const at::Tensor logits = head_->forward(joined);
    const at::Tensor target = batch.targets.select(1, 0);
    return classification_output(logits, target, count_);
  }

 private:
  int64_t count_;
  std::shared_ptr<JigsawTransform> transform_;
  std::shared_ptr<sdk::Backbone> backbone_;
  nn::MLPHead head_{nullptr};
};

}  // namespace

void register_jigsaw(sdk::Registrar& r) {
  r.add_method<Jigsaw>("jigsaw", "jigsaw puzzles: a P-way classifier of how 9 tiles of the image were shuffled");
}

}  // namespace ssl::plugins::method_pretext
