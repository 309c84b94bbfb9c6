// SVG plots and the PCA projection of the run report.
#include <catch2/catch.hpp>

#include <ATen/ATen.h>

#include <cmath>
#include <regex>

#include "report/embedding_pca.h"
#include "report/svg_plot.h"

using namespace ssl::host::report;

namespace {
void check_ticks(const std::vector<double>& got, const std::vector<double>& want) {
  REQUIRE(got.size() == want.size());
  for (size_t i = 0; i < got.size(); ++i) CHECK(got[i] == Approx(want[i]).margin(1e-12));
}

size_t count(const std::string& s, const std::string& what) {
  size_t n = 0;
  for (size_t p = s.find(what); p != std::string::npos; p = s.find(what, p + 1)) ++n;
  return n;
}
}  // namespace

TEST_CASE("a line plot has a frame, ticks with labels, axis labels, a title and a legend") {
  Series a{"train loss", {0, 1, 2, 3, 4}, {4.0, 3.0, 2.5, 2.2, 2.0}};
  Series b{"other", {0, 4}, {1.0, 1.5}};
  const std::string svg = svg_plot({a, b}, {"the title", "step", "loss", false, false, 600, 340});
  CHECK(svg.rfind("<svg ", 0) == 0);
  CHECK_THAT(svg, Catch::Contains(">the title</text>") && Catch::Contains(">step</text>") &&
                      Catch::Contains(">loss</text>") && Catch::Contains(">train loss</text>") &&
                      Catch::Contains(">other</text>"));
  CHECK(count(svg, "<polyline") == 2);
  CHECK(count(svg, "text-anchor=\"end\"") >= 3);  // y tick labels
  CHECK_THAT(svg, Catch::Contains(">4</text>") && Catch::Contains(">2</text>"));
  CHECK(svg.find("http") == std::string::npos);
  CHECK(svg.find("<script") == std::string::npos);
}

TEST_CASE("a log x axis with a few values ticks at the values and drops non-positive x") {
  Series a{"simclr", {0, 32, 64, 128, 256, 512}, {0.5, 0.80, 0.82, 0.83, 0.84, 0.85}};
  PlotOptions o{"kNN against batch size", "data.batch_size", "knn/top1", false, false, 640, 360};
  o.log_x = true;
  const std::string svg = svg_plot({a}, o);
  for (const char* tick : {">32</text>", ">64</text>", ">128</text>", ">256</text>", ">512</text>"}) {
    INFO(tick);
    CHECK_THAT(svg, Catch::Contains(tick));
  }
  CHECK_THAT(svg, Catch::Contains(">data.batch_size (log scale)</text>"));
  // x = 0 cannot be drawn on a log axis: the line starts at 32, and its y (0.5) sets no tick.
  CHECK(svg.find(">0.5</text>") == std::string::npos);
  CHECK(count(svg, "<polyline") == 1);
  // Equal steps in log x: 32 -> 64 and 256 -> 512 are the same width.
  std::vector<double> xs;
  for (size_t p = svg.find("<circle cx=\""); p != std::string::npos; p = svg.find("<circle cx=\"", p + 1))
    xs.push_back(std::stod(svg.substr(p + 12)));
  REQUIRE(xs.size() == 5);
  CHECK(xs[1] - xs[0] == Approx(xs[4] - xs[3]).epsilon(0.01));
}

TEST_CASE("nice ticks fall on 1, 2 and 5 steps and log ticks on powers of ten") {
  check_ticks(nice_ticks(0, 1, 5), {0, 0.2, 0.4, 0.6, 0.8, 1.0});
  check_ticks(nice_ticks(0, 100, 4), {0, 20, 40, 60, 80, 100});
  CHECK(nice_ticks(1, 1, 5).empty());
  check_ticks(log_ticks(1e-4, 1), {1e-4, 1e-3, 1e-2, 1e-1, 1});
  check_ticks(log_ticks(1, 10), {1, 2, 5, 10});
  CHECK(log_ticks(0, 10).empty());
  CHECK(format_number(0.5) == "0.5");
  CHECK(format_number(1e-5) == "1e-5");
  CHECK(format_number(250000) == "2.5e5");
}

TEST_CASE("a log-scale plot skips zeros, negatives and NaN and splits the line there") {
  Series s{"spectrum", {1, 2, 3, 4, 5, 6}, {1.0, 0.1, 0.0, -1.0, 0.001, NAN}};
  const std::string svg = svg_plot({s}, {"spectra", "k", "sigma", true, false, 600, 340});
  CHECK(svg.find("nan") == std::string::npos);
  CHECK(svg.find("inf") == std::string::npos);
  CHECK(count(svg, "<polyline") == 2);  // [1, 0.1] and [0.001]
  CHECK_THAT(svg, Catch::Contains("(log scale)") && Catch::Contains(">0.001</text>") && Catch::Contains(">1</text>"));
  // Nothing drawable at all: an empty frame that says so.
  Series none{"zeros", {1, 2}, {0.0, NAN}};
  const std::string empty = svg_plot({none}, {"t", "x", "y", true, false, 600, 340});
  CHECK_THAT(empty, Catch::Contains("no data"));
  CHECK(empty.find("<polyline") == std::string::npos);
}

TEST_CASE("a scatter plot draws one dot per finite point and a legend entry per group") {
  Series a{"class 0", {0, 1, NAN}, {0, 1, 2}};
  Series b{"class 1", {2, 3}, {2, 3}};
  const std::string svg = svg_plot({a, b}, {"pca", "pc 1", "pc 2", false, true, 600, 400});
  CHECK(count(svg, "<circle") == 4 + 2);  // 4 points + 2 legend dots
  CHECK(svg.find("<polyline") == std::string::npos);
  CHECK_THAT(svg, Catch::Contains(">class 0</text>") && Catch::Contains(">class 1</text>"));
}

TEST_CASE("labels are XML-escaped") {
  const std::string svg = svg_plot({Series{"a<b & \"c\"", {0, 1}, {0, 1}}}, {"x < y", "", "", false, false, 600, 340});
  CHECK_THAT(svg, Catch::Contains("a&lt;b &amp; &quot;c&quot;") && Catch::Contains("x &lt; y"));
  CHECK(svg.find("a<b") == std::string::npos);
}

TEST_CASE("PCA projects onto the direction of largest variance") {
  at::manual_seed(0);
  // Points spread along (1, 1, 0) / sqrt(2) with small noise elsewhere.
  const at::Tensor t = at::randn({500, 1}) * 5;
  const at::Tensor dir = at::tensor({1.0, 1.0, 0.0}).div(std::sqrt(2.0)).unsqueeze(0);
  const at::Tensor x = (t.to(at::kDouble) * dir + 0.01 * at::randn({500, 3}, at::kDouble)) + 3.0;
  const at::Tensor p = pca_2d(x);
  REQUIRE(p.sizes() == at::IntArrayRef({500, 2}));
  const at::Tensor first = p.select(1, 0);
  const at::Tensor centred = t.squeeze(1).to(at::kDouble) - t.mean().item<double>();
  // The first component reproduces the 1-D coordinate up to sign (sign fixed by the loading).
  const double corr = (first * centred).sum().item<double>() / (first.norm() * centred.norm()).item<double>();
  CHECK(std::abs(corr) > 0.999);
  CHECK(p.select(1, 1).std().item<double>() < 0.05);
  CHECK(p.mean(0).abs().max().item<double>() < 1e-9);  // centred
}

TEST_CASE("more than ten series: colours repeat, dashed from the eleventh, so no two lines look alike") {
  std::vector<Series> many;
  for (int i = 0; i < 12; ++i) many.push_back(Series{"arm " + std::to_string(i), {0, 1}, {double(i), double(i + 1)}});
  const std::string svg = svg_plot(many, {"twelve", "x", "y", false, false, 760, 420});
  CHECK(count(svg, "<polyline") == 12);
  CHECK(count(svg, "stroke-dasharray=\"6 3\"") == 4);  // lines 11, 12 and their legend entries
  CHECK(std::string(series_color(10)) == series_color(0));
  CHECK(std::string(series_dash(0)).empty());
  CHECK(std::string(series_dash(10)) != series_dash(0));
}
