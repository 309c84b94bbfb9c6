// Context prediction (Doersch, Gupta, Efros, "Unsupervised Visual Representation Learning by
// Context Prediction", ICCV 2015). The image is resized to image_size x image_size and seen as
// a 3 x 3 grid of cells; a patch_size patch is cut from the centre cell and one from a
// neighbour drawn uniformly among the 8, each at the middle of its cell moved by up to
// `jitter` px in each direction (so the gap between the two patches varies and no edge or
// line continues across it). The shared backbone embeds both, their features are
// concatenated (centre first) and a head tells which of the 8 neighbours the second patch
// came from: an 8-way cross-entropy. Neighbours are numbered row-major around the centre:
//   0 1 2
//   3 . 4
//   5 6 7
//
// The anti-shortcut measures of the paper, as options: every patch normalised on its own
// (zero mean, unit variance), colour dropping on RGB data (two of the three channels replaced
// by faint Gaussian noise around the kept channel's mean, its standard deviation 1/100 of the
// kept channel's, as in the paper: chromatic aberration gives away the position otherwise), and occasional down-and-up sampling of a patch to as few as `downsample_pixels`
// pixels (the network cannot rely on fine texture).
//
// The patches come from the method's own SampleTransform; evaluators and backbone.pt see the
// backbone on whole images, as for every method.
//
// Checkpointed state: backbone, head.
#include <ATen/ATen.h>
#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <cmath>
#include <memory>
#include <vector>

#include "ssl/nn/head.h"
#include "ssl/nn/method_support.h"
#include "ssl/sdk/error.h"
#include "ssl/sdk/registrar.h"

#include "pretext_common.h"

namespace ssl::plugins::method_pretext {
namespace {

constexpr int64_t kNeighbours = 8;

struct PatchOptions {
  int image_size = 72, patch_size = 16, jitter = 2;
  bool normalize = true, drop_colour = false;
  double downsample_probability = 0.0;
  int downsample_pixels = 100;
};

class ContextTransform final : public sdk::SampleTransform {
 public:
  explicit ContextTransform(PatchOptions o) : o_(o) {}

  // image -> {centre patch, neighbour patch} float [patch, patch], targets {neighbour 0..7}.
  sdk::TransformedSample apply(const cv::Mat& image, sdk::Rng& rng) const override {
    const cv::Mat f = float_square(image, o_.image_size, "context_prediction");
    const int64_t neighbour = rng.randint(0, kNeighbours);
    const int64_t cell = neighbour < 4 ? neighbour : neighbour + 1;  // skip the centre cell 4
    sdk::TransformedSample out;
    out.views = {patch(f, 4, rng), patch(f, static_cast<int>(cell), rng)};
    out.targets = {neighbour};
    return out;
  }

 private:
  cv::Mat patch(const cv::Mat& f, int cell, sdk::Rng& rng) const {
    const int side = o_.image_size / 3;
    const int centre = (side - o_.patch_size) / 2;
    auto offset = [&] {
      const int lo = std::max(0, centre - o_.jitter), hi = std::min(side - o_.patch_size, centre + o_.jitter);
      return static_cast<int>(rng.randint(lo, hi + 1));
    };
    const int y = (cell / 3) * side + offset();
    const int x = (cell % 3) * side + offset();
    cv::Mat p = f(cv::Rect(x, y, o_.patch_size, o_.patch_size)).clone();
    if (o_.drop_colour && p.channels() == 3) {
      std::vector<cv::Mat> channels;
      cv::split(p, channels);
      const auto keep = static_cast<size_t>(rng.randint(0, 3));
      cv::Scalar mean, stddev;
      cv::meanStdDev(channels[keep], mean, stddev);
      for (size_t c = 0; c < 3; ++c) {
        if (c == keep) continue;
        for (int r = 0; r < p.rows; ++r)
          for (int k = 0; k < p.cols; ++k)
            channels[c].at<float>(r, k) = static_cast<float>(mean[0] + 0.01 * stddev[0] * rng.normal());
      }
      cv::merge(channels, p);
    }
    if (o_.downsample_probability > 0 && rng.bernoulli(o_.downsample_probability)) {
      const int small = std::max(1, static_cast<int>(std::lround(std::sqrt(double(o_.downsample_pixels)))));
      if (small < o_.patch_size) {
        cv::Mat tiny;
        cv::resize(p, tiny, cv::Size(small, small), 0, 0, cv::INTER_AREA);
        cv::resize(tiny, p, cv::Size(o_.patch_size, o_.patch_size), 0, 0, cv::INTER_LINEAR);
      }
    }
    return o_.normalize ? standardized(p) : p;
  }

  PatchOptions o_;
};

class ContextPrediction final : public sdk::Method {
 public:
  ContextPrediction(const sdk::Config& cfg, const sdk::BuildContext& ctx) {
    PatchOptions o;
    o.image_size = static_cast<int>(cfg.get_int("image_size"));
    o.patch_size = static_cast<int>(cfg.get_int("patch_size"));
    o.jitter = static_cast<int>(cfg.get_int("jitter"));
    o.normalize = cfg.get_bool("normalize_patches");
    o.drop_colour = cfg.get_bool("drop_colour");
    o.downsample_probability = cfg.get_float("downsample_probability");
    o.downsample_pixels = static_cast<int>(cfg.get_int("downsample_pixels"));
    SSL_CHECK(o.patch_size <= o.image_size / 3, "context_prediction: patch_size ", o.patch_size,
              " does not fit in a cell of the ", o.image_size, " px image (", o.image_size / 3, " px; 3 x 3 cells)");
    transform_ = std::make_shared<ContextTransform>(o);
    backbone_ = register_module("backbone", nn::build_backbone(ctx, "context_prediction"));
    head_ = register_module("head", nn::make_head(cfg, "head", 2 * backbone_->num_features(), kNeighbours));
  }

  static sdk::Schema schema() {
    sdk::Schema s;
    s.add_int("image_size", 72, "the image is resized to this square first (3 x 3 cells of image_size / 3)")
        .range(6, 1024);
    s.add_int("patch_size", 16, "side of a patch (<= image_size / 3; the rest of the cell is the gap)").range(2, 341);
    s.add_int("jitter", 2, "each patch moves by up to this many px from its cell's middle, per axis").range(0, 100);
    s.add_bool("normalize_patches", true, "normalise every patch on its own (zero mean, unit variance)");
    s.add_bool("drop_colour", false,
               "RGB only: replace two random channels of each patch by noise (the paper's colour dropping)");
    s.add_float("downsample_probability", 0.0, "probability that a patch is down- and up-sampled").range(0, 1);
    s.add_int("downsample_pixels", 100, "pixels of a down-sampled patch (paper: as few as 100)").range(1, 1 << 20);
    nn::add_head_keys(s, "head", "neighbour classifier (on the 2 concatenated patch features)",
                      nn::HeadDefaults{512, 0, 2, true, false});
    return s;
  }
  static sdk::ViewSpec views(const sdk::Config&) { return {2, 2, true}; }

  std::shared_ptr<sdk::Backbone> backbone() const override { return backbone_; }
  std::shared_ptr<const sdk::SampleTransform> sample_transform() const override { return transform_; }

  // views: centre and neighbour patches [N, C, p, p], targets [N, 1] the neighbour -> loss;
  // metrics loss, accuracy, uniform_loss_ref = ln 8.
  sdk::StepOutput training_step(const sdk::Batch& batch, const sdk::StepInfo&) override {
    SSL_CHECK(batch.views.size() == 2, "context_prediction: expects its 2 patches, got ", batch.views.size(), " views");
    SSL_CHECK(batch.targets.defined() && batch.targets.dim() == 2 && batch.targets.size(1) == 1,
              "context_prediction: expects the neighbour index as the batch's targets [N, 1]");
    const int64_t n = batch.views[0].size(0);
    const at::Tensor features = backbone_->forward(at::cat(batch.views, 0));  // [2N, F]: centres, then neighbours
    const at::Tensor joined = at::cat({features.narrow(0, 0, n), features.narrow(0, n, n)}, 1);
    const at::Tensor logits = head_->forward(joined);
    const at::Tensor target = batch.targets.select(1, 0);
    return classification_output(logits, target, kNeighbours);
  }

 private:
  std::shared_ptr<ContextTransform> transform_;
  std::shared_ptr<sdk::Backbone> backbone_;
  nn::MLPHead head_{nullptr};
};

}  // namespace

void register_context_prediction(sdk::Registrar& r) {
  r.add_method<ContextPrediction>("context_prediction",
                                  "context prediction: an 8-way classifier of where a patch lies around the centre patch");
}

}  // namespace ssl::plugins::method_pretext
