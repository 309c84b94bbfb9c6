#include "report/preview.h"

#include <ATen/ATen.h>
#include <fmt/core.h>

#include <algorithm>
#include <optional>

#include "atomic_file.h"
#include "loader.h"
#include "report/style.h"
#include "report/svg_plot.h"
#include "ssl/sdk/error.h"
#include "trainer.h"

namespace ssl::host::report {

namespace {
// Pictures are drawn at least this many pixels tall (small images scaled up, unsmoothed).
constexpr int kDrawnSide = 96;
int scale_for(const cv::Mat& m) { return std::max(1, kDrawnSide / std::max(1, std::max(m.rows, m.cols))); }

}  // namespace

namespace {

// The first `images` samples of one domain's first batch: its data, view chains and loader.
struct DomainBatch {
  std::vector<int64_t> positions;
  HostBatch batch;
};
DomainBatch first_batch(const std::shared_ptr<DatasetView>& data, const std::vector<ViewChain>& chains,
                        const std::shared_ptr<const sdk::SampleTransform>& transform, const LoaderOptions& options,
                        int64_t images) {
  Loader loader(data, chains, transform, options);
  DomainBatch out;
  out.positions = loader.epoch_order(0);
  out.positions.resize(std::min<size_t>(out.positions.size(), static_cast<size_t>(images)));
  out.batch = loader.build_batch(0, out.positions);
  return out;
}

std::vector<PreviewSample> samples_of(const DatasetView& data, const std::vector<ViewChain>& chains, bool transform,
                                      const DomainBatch& first, double lo, double hi) {
  std::vector<PreviewSample> out;
  const HostBatch& batch = first.batch;
  for (size_t row = 0; row < first.positions.size(); ++row) {
    PreviewSample s;
    s.position = first.positions[row];
    const sdk::Sample sample = data.get(s.position);
    s.label = sample.label;
    s.original = thumbnail(sample.image, 0);
    for (size_t v = 0; v < batch.views.size(); ++v) {
      std::string caption = transform ? fmt::format("method transform · view {}", v + 1)
                                      : fmt::format("{} · view {}", chains[v].label, v + 1);
      s.views.push_back({std::move(caption), view_to_image(batch.views[v][static_cast<int64_t>(row)], lo, hi)});
    }
    if (batch.targets.defined()) {
      const at::Tensor t = batch.targets[static_cast<int64_t>(row)].contiguous();
      s.targets.assign(t.data_ptr<int64_t>(), t.data_ptr<int64_t>() + t.numel());
    }
    out.push_back(std::move(s));
  }
  return out;
}

}  // namespace

Preview preview_samples(const Runtime& rt, int64_t images) {
  SSL_CHECK(images >= 1, "--images must be at least 1, got ", images);
  SSL_CHECK(rt.train != nullptr && rt.train->size() > 0, "the pipeline's training split is empty: nothing to preview");
  const auto transform = rt.method->sample_transform();
  const DomainBatch source = first_batch(rt.train, rt.train_chains, transform, training_loader_options(rt), images);
  std::optional<DomainBatch> target;
  if (rt.target) target = first_batch(rt.target, rt.target_chains, nullptr, target_loader_options(rt), images);

  // One display range for every view of the page when any leaves [0, 1] (view_to_image).
  double lo = 0.0, hi = 1.0;
  const auto widen = [&](const DomainBatch& d) {
    for (const auto& v : d.batch.views) lo = std::min(lo, v.min().item<double>()), hi = std::max(hi, v.max().item<double>());
  };
  widen(source);
  if (target) widen(*target);

  Preview out;
  out.range = {lo, hi};
  out.samples = samples_of(*rt.train, rt.train_chains, transform != nullptr, source, lo, hi);
  if (target) out.target_samples = samples_of(*rt.target, rt.target_chains, false, *target, lo, hi);
  return out;
}

std::string render_preview(const Runtime& rt, const Preview& preview) {
  const auto& samples = preview.samples;
  const auto& range = preview.range;
  const Pipeline& p = *rt.pipeline;
  std::string h = "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n<title>" + xml_escape(p.name()) +
                  " — augmentation preview</title>\n<style>" + kReportStyle + "</style></head><body>\n";
  h += "<h1>" + xml_escape(p.name()) + " — augmentation preview</h1>\n";
  const bool own = rt.method->sample_transform() != nullptr;
  h += fmt::format("<p class=\"desc\">The first {} images of the first training batch (seed {}) and the {} view(s) "
                   "the loader builds from each, {}. Training sees exactly these views at its first step.</p>\n",
                   samples.size(), rt.seed, samples.empty() ? 0 : samples.front().views.size(),
                   own ? "by the method's own sample transform (" + xml_escape(p.method.type()) + ")"
                       : "by the pipeline's [[views]]");
  bool any_rescaled = false;
  const auto table = [&](const std::vector<PreviewSample>& rows, const DatasetView& data) {
    h += "<table class=\"pics\">\n";
    for (const auto& s : rows) {
      h += "<tr><td>" + img_tag(png_data_uri(s.original), s.original, scale_for(s.original), "original") +
           fmt::format("original<br>#{} · {}", s.position,
                       xml_escape(s.label < 0 ? data.class_name(s.label)
                                              : fmt::format("{} ({})", data.class_name(s.label), s.label))) +
           "</td>";
      for (const auto& v : s.views) {
        any_rescaled |= v.picture.rescaled;
        const cv::Mat& m = v.picture.image;
        h += "<td>" + img_tag(png_data_uri(m), m, scale_for(m), v.caption) + xml_escape(v.caption) +
             fmt::format("<br>{}×{}{}", m.cols, m.rows, v.picture.rescaled ? " · stretched" : "") + "</td>";
      }
      if (!s.targets.empty()) {
        std::string t;
        for (int64_t x : s.targets) t += (t.empty() ? "" : ", ") + std::to_string(x);
        h += "<td>targets<br>" + xml_escape(t) + "</td>";
      }
      h += "</tr>\n";
    }
    h += "</table>\n";
  };
  if (!preview.target_samples.empty()) h += "<h2>Source [data.source]</h2>\n";
  table(samples, *rt.train);
  if (!preview.target_samples.empty()) {
    h += fmt::format("<h2>Target [data.target]</h2>\n<p class=\"desc\">The first {} images of the target's first "
                     "batch (its own seed) and their view(s); the originals are drawn as the dataset's style "
                     "makes them.</p>\n", preview.target_samples.size());
    table(preview.target_samples, *rt.target);
  }
  if (any_rescaled)
    h += fmt::format("<p class=\"note\">stretched: the views' values leave [0, 1] (a normalize op); every view on "
                     "this page is drawn with one range, {:.3g} (black) to {:.3g} (white), so their brightness "
                     "still compares.</p>\n", range.first, range.second);
  const auto groups = [&](const std::vector<ViewGroup>& views, const std::string& title) {
    h += "<h2>" + title + "</h2>\n<pre>";
    for (size_t g = 0; g < views.size(); ++g) {
      std::string ops;
      for (const auto& op : views[g].ops) ops += (ops.empty() ? "" : " -> ") + op.type();
      h += xml_escape(fmt::format("group {}{}: {} view(s): {}\n", g,
                                  views[g].name.empty() ? "" : " (" + views[g].name + ")", views[g].count, ops));
    }
    h += "</pre>\n";
  };
  groups(p.views, "Views");
  if (p.two_domains()) groups(p.target_view_groups(), "Target views");
  h += "</body></html>\n";
  return h;
}

void write_preview(const Runtime& rt, int64_t images, const std::filesystem::path& file) {
  const std::string html = render_preview(rt, preview_samples(rt, images));
  write_file_atomic(file, std::vector<char>(html.begin(), html.end()));
}

}  // namespace ssl::host::report
