#include "report/preview.h"

#include <ATen/ATen.h>
#include <fmt/core.h>

#include <algorithm>

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

Preview preview_samples(const Runtime& rt, int64_t images) {
  SSL_CHECK(images >= 1, "--images must be at least 1, got ", images);
  SSL_CHECK(rt.train != nullptr && rt.train->size() > 0, "the pipeline's training split is empty: nothing to preview");
  const auto transform = rt.method->sample_transform();
  Loader loader(rt.train, rt.train_chains, transform, training_loader_options(rt));
  std::vector<int64_t> positions = loader.epoch_order(0);
  positions.resize(std::min<size_t>(positions.size(), static_cast<size_t>(images)));
  const HostBatch batch = loader.build_batch(0, positions);

  // One display range for every view of the page when any leaves [0, 1] (view_to_image).
  double lo = 0.0, hi = 1.0;
  for (const auto& v : batch.views) lo = std::min(lo, v.min().item<double>()), hi = std::max(hi, v.max().item<double>());

  Preview out;
  out.range = {lo, hi};
  for (size_t row = 0; row < positions.size(); ++row) {
    PreviewSample s;
    s.position = positions[row];
    const sdk::Sample sample = rt.train->get(s.position);
    s.label = sample.label;
    s.original = thumbnail(sample.image, 0);
    for (size_t v = 0; v < batch.views.size(); ++v) {
      std::string caption = transform ? fmt::format("method transform · view {}", v + 1)
                                      : fmt::format("{} · view {}", rt.train_chains[v].label, v + 1);
      s.views.push_back({std::move(caption), view_to_image(batch.views[v][static_cast<int64_t>(row)], lo, hi)});
    }
    if (batch.targets.defined()) {
      const at::Tensor t = batch.targets[static_cast<int64_t>(row)].contiguous();
      s.targets.assign(t.data_ptr<int64_t>(), t.data_ptr<int64_t>() + t.numel());
    }
    out.samples.push_back(std::move(s));
  }
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
  h += "<table class=\"pics\">\n";
  for (const auto& s : samples) {
    h += "<tr><td>" + img_tag(png_data_uri(s.original), s.original, scale_for(s.original), "original") +
         fmt::format("original<br>#{} · {}", s.position, xml_escape(s.label < 0 ? rt.train->class_name(s.label) : fmt::format("{} ({})", rt.train->class_name(s.label), s.label))) + "</td>";
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
  if (any_rescaled)
    h += fmt::format("<p class=\"note\">stretched: the views' values leave [0, 1] (a normalize op); every view on "
                     "this page is drawn with one range, {:.3g} (black) to {:.3g} (white), so their brightness "
                     "still compares.</p>\n", range.first, range.second);
  h += "<h2>Views</h2>\n<pre>";
  for (size_t g = 0; g < p.views.size(); ++g) {
    std::string ops;
    for (const auto& op : p.views[g].ops) ops += (ops.empty() ? "" : " -> ") + op.type();
    h += xml_escape(fmt::format("group {}{}: {} view(s): {}\n", g,
                                p.views[g].name.empty() ? "" : " (" + p.views[g].name + ")", p.views[g].count, ops));
  }
  h += "</pre>\n</body></html>\n";
  return h;
}

void write_preview(const Runtime& rt, int64_t images, const std::filesystem::path& file) {
  const std::string html = render_preview(rt, preview_samples(rt, images));
  write_file_atomic(file, std::vector<char>(html.begin(), html.end()));
}

}  // namespace ssl::host::report
