#pragma once
// preview.html: what the augmentations do, before any training. For the first N images of the
// first training batch (the training loader's seed and order), the decoded image and every
// view the loader builds from it, by view group (or the method's own sample transform: jigsaw
// tiles, patches, rotations, with its targets); in a two-domain run the same for the target's
// first batch. Self-contained like report.html: inline PNGs.
#include <cstdint>
#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include "report/images.h"
#include "runtime.h"

namespace ssl::host::report {

struct PreviewView {
  std::string caption;  // "view group 0 (global) · view 1", or "method transform · view 3"
  DisplayImage picture;
};

struct PreviewSample {
  int64_t position = 0;  // position in the training split (DatasetView), as the loader uses it
  int64_t label = -1;
  cv::Mat original;      // the decoded image, CV_8U
  std::vector<PreviewView> views;
  std::vector<int64_t> targets;  // the sample transform's targets (empty without one)
};

struct Preview {
  std::vector<PreviewSample> samples;
  // A two-domain run: the first images of the target's first batch, through its view groups.
  std::vector<PreviewSample> target_samples;
  std::pair<double, double> range{0.0, 1.0};  // the values drawn black and white (view_to_image)
};

// The views of the first `images` samples of epoch 0, exactly as the training loader builds
// them (Loader::build_batch with the run's seed); in a two-domain run also the target's.
Preview preview_samples(const Runtime& runtime, int64_t images);

std::string render_preview(const Runtime& runtime, const Preview& preview);

// preview_samples + render_preview, written atomically to `file`.
void write_preview(const Runtime& runtime, int64_t images, const std::filesystem::path& file);

}  // namespace ssl::host::report
