#include "report/svg_plot.h"

#include <fmt/core.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <set>

namespace ssl::host::report {

namespace {
constexpr int kLeft = 72, kTop = 34, kBottom = 48, kRight = 16, kLegendWidth = 170, kLegendRow = 17;

bool drawable(double x, double y, const PlotOptions& o) {
  return std::isfinite(x) && std::isfinite(y) && (!o.log_y || y > 0) && (!o.log_x || x > 0);
}

double nice_step(double range, int target) {
  const double raw = range / std::max(target, 1);
  const double mag = std::pow(10.0, std::floor(std::log10(raw)));
  const double f = raw / mag;
  return (f < 1.5 ? 1.0 : f < 3.5 ? 2.0 : f < 7.5 ? 5.0 : 10.0) * mag;
}

struct Axis {
  double lo = 0, hi = 1;
  bool log = false;
  std::vector<double> ticks;
  double t(double v) const {  // position in [0, 1]
    if (log) return (std::log10(v) - std::log10(lo)) / (std::log10(hi) - std::log10(lo));
    return (v - lo) / (hi - lo);
  }
};

Axis linear_axis(double lo, double hi, int target, bool integer = false) {
  Axis a;
  if (!(hi > lo)) {  // one value: a small window around it
    const double pad = lo == 0 ? 1.0 : std::abs(lo) * 0.1;
    lo -= pad;
    hi += pad;
  }
  const double step = std::max(nice_step(hi - lo, target), integer ? 1.0 : 0.0);
  a.lo = std::floor(lo / step + 1e-9) * step;
  a.hi = std::ceil(hi / step - 1e-9) * step;
  if (integer && step == 1.0) {  // whole numbers only (epochs)
    for (double v = a.lo; v <= a.hi + 1e-9; v += 1) a.ticks.push_back(v);
    return a;
  }
  a.ticks = nice_ticks(a.lo, a.hi, target);
  return a;
}

Axis log_axis(double lo, double hi) {
  Axis a;
  a.log = true;
  a.lo = std::pow(10.0, std::floor(std::log10(lo)));
  a.hi = std::pow(10.0, std::ceil(std::log10(hi)));
  if (a.hi <= a.lo) a.hi = a.lo * 10;
  a.ticks = log_ticks(a.lo, a.hi);
  return a;
}

// A log x axis for a few distinct values (batch sizes 32 ... 512): ticks at the values
// themselves, a margin of a quarter on either side; many values get decade ticks.
// `xs`: the drawable x values, lo and hi their extremes.
Axis log_value_axis(const std::set<double>& xs, double lo, double hi) {
  if (xs.size() > 12) return log_axis(lo, hi);
  Axis a;
  a.log = true;
  a.lo = lo / 1.25;
  a.hi = hi * 1.25;
  a.ticks.assign(xs.begin(), xs.end());
  return a;
}

std::string text(double x, double y, const std::string& s, const char* anchor, int size, const char* extra = "") {
  return fmt::format("<text x=\"{:.1f}\" y=\"{:.1f}\" text-anchor=\"{}\" font-size=\"{}\"{}>{}</text>\n", x, y, anchor,
                     size, extra, xml_escape(s));
}
}  // namespace

std::string xml_escape(const std::string& s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  }
  return out;
}

std::vector<double> nice_ticks(double lo, double hi, int target) {
  std::vector<double> out;
  if (!std::isfinite(lo) || !std::isfinite(hi) || !(hi > lo)) return out;
  const double step = nice_step(hi - lo, target);
  for (double k = std::ceil(lo / step - 1e-9); k * step <= hi + step * 1e-9; k += 1) {
    const double v = k * step;
    out.push_back(std::abs(v) < step * 1e-9 ? 0.0 : v);
  }
  return out;
}

std::vector<double> log_ticks(double lo, double hi) {
  std::vector<double> out;
  if (!(lo > 0) || !(hi > lo) || !std::isfinite(hi)) return out;
  const int first = static_cast<int>(std::floor(std::log10(lo) + 1e-9));
  const int last = static_cast<int>(std::ceil(std::log10(hi) - 1e-9));
  const int decades = last - first;
  const int every = decades > 16 ? 4 : decades > 8 ? 2 : 1;
  for (int e = first; e <= last; ++e) {
    for (double m : {1.0, 2.0, 5.0}) {
      if (m != 1.0 && decades >= 2) continue;
      if (m == 1.0 && (e - first) % every != 0) continue;
      const double v = m * std::pow(10.0, e);
      if (v >= lo * (1 - 1e-9) && v <= hi * (1 + 1e-9)) out.push_back(v);
    }
  }
  return out;
}

std::string format_number(double v) {
  if (v == 0) return "0";
  const double a = std::abs(v);
  if (a >= 1e5 || a < 1e-3) {
    std::string s = fmt::format("{:.2g}", v);  // 1e-05 -> 1e-5
    const auto e = s.find('e');
    if (e != std::string::npos) {
      std::string mant = s.substr(0, e), exp = s.substr(e + 1);
      const bool neg = exp[0] == '-';
      exp = exp.substr(exp[0] == '-' || exp[0] == '+' ? 1 : 0);
      exp.erase(0, std::min(exp.find_first_not_of('0'), exp.size() - 1));
      s = mant + "e" + (neg ? "-" : "") + exp;
    }
    return s;
  }
  return fmt::format("{:.3g}", v);
}

const char* series_color(size_t i) {
  static const char* kPalette[] = {"#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f",
                                   "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac"};
  return kPalette[i % 10];
}

const char* series_dash(size_t i) {
  // Series 11-20 reuse the colours dashed, 21-30 dotted: twelve arms of a study stay apart.
  static const char* kDash[] = {"", " stroke-dasharray=\"6 3\"", " stroke-dasharray=\"2 2\""};
  return kDash[(i / 10) % 3];
}

std::string svg_plot(const std::vector<Series>& series, const PlotOptions& o) {
  const bool legend = series.size() > 1 || (series.size() == 1 && !series[0].name.empty());
  const int pw = o.width - kLeft - kRight - (legend ? kLegendWidth : 0);
  const int ph = o.height - kTop - kBottom;
  std::string svg = fmt::format(
      "<svg width=\"{0}\" height=\"{1}\" viewBox=\"0 0 {0} {1}\" "
      "font-family=\"Helvetica, Arial, sans-serif\" role=\"img\">\n<title>{2}</title>\n"
      "<rect width=\"{0}\" height=\"{1}\" fill=\"#ffffff\"/>\n",
      o.width, o.height, xml_escape(o.title));
  svg += text(kLeft + pw / 2.0, 20, o.title, "middle", 14, " font-weight=\"bold\"");

  double xmin = std::numeric_limits<double>::infinity(), xmax = -xmin, ymin = xmin, ymax = -xmin;
  bool integer_x = true;
  std::set<double> xs;  // distinct x values, for a log x axis
  for (const auto& s : series) {
    for (size_t i = 0; i < std::min(s.x.size(), s.y.size()); ++i) {
      if (!drawable(s.x[i], s.y[i], o)) continue;
      if (o.log_x) xs.insert(s.x[i]);
      integer_x = integer_x && s.x[i] == std::round(s.x[i]);
      xmin = std::min(xmin, s.x[i]);
      xmax = std::max(xmax, s.x[i]);
      ymin = std::min(ymin, s.y[i]);
      ymax = std::max(ymax, s.y[i]);
    }
  }
  svg += fmt::format("<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"none\" stroke=\"#333\"/>\n", kLeft, kTop,
                     pw, ph);
  if (!std::isfinite(xmin)) {
    svg += text(kLeft + pw / 2.0, kTop + ph / 2.0, "no data", "middle", 13, " fill=\"#777\"");
    return svg + "</svg>\n";
  }
  const Axis ax = o.log_x ? log_value_axis(xs, xmin, xmax) : linear_axis(xmin, xmax, std::max(2, pw / 60), integer_x && !o.points);
  const Axis ay = o.log_y ? log_axis(ymin, ymax) : linear_axis(ymin, ymax, std::max(2, ph / 45));
  auto px = [&](double x) { return kLeft + ax.t(x) * pw; };
  auto py = [&](double y) { return kTop + ph - ay.t(y) * ph; };

  // Grid, ticks and tick labels.
  for (double t : ax.ticks) {
    const double x = px(t);
    svg += fmt::format("<line x1=\"{0:.1f}\" y1=\"{1}\" x2=\"{0:.1f}\" y2=\"{2}\" stroke=\"#e5e5e5\"/>\n", x, kTop, kTop + ph);
    svg += fmt::format("<line x1=\"{0:.1f}\" y1=\"{1}\" x2=\"{0:.1f}\" y2=\"{2}\" stroke=\"#333\"/>\n", x, kTop + ph, kTop + ph + 5);
    svg += text(x, kTop + ph + 18, format_number(t), "middle", 11);
  }
  for (double t : ay.ticks) {
    const double y = py(t);
    svg += fmt::format("<line x1=\"{0}\" y1=\"{1:.1f}\" x2=\"{2}\" y2=\"{1:.1f}\" stroke=\"#e5e5e5\"/>\n", kLeft, y, kLeft + pw);
    svg += fmt::format("<line x1=\"{0}\" y1=\"{1:.1f}\" x2=\"{2}\" y2=\"{1:.1f}\" stroke=\"#333\"/>\n", kLeft - 5, y, kLeft);
    svg += text(kLeft - 8, y + 4, format_number(t), "end", 11);
  }
  svg += text(kLeft + pw / 2.0, o.height - 10, o.x_label + (o.log_x ? " (log scale)" : ""), "middle", 12);
  const std::string ylab = o.y_label + (o.log_y ? " (log scale)" : "");
  svg += fmt::format("<text x=\"14\" y=\"{0:.1f}\" text-anchor=\"middle\" font-size=\"12\" "
                     "transform=\"rotate(-90 14 {0:.1f})\">{1}</text>\n",
                     kTop + ph / 2.0, xml_escape(ylab));

  // Data.
  svg += "<g>\n";
  for (size_t si = 0; si < series.size(); ++si) {
    const auto& s = series[si];
    const char* color = series_color(si);
    const size_t n = std::min(s.x.size(), s.y.size());
    if (o.points) {
      for (size_t i = 0; i < n; ++i) {
        if (!drawable(s.x[i], s.y[i], o)) continue;
        svg += fmt::format("<circle cx=\"{:.1f}\" cy=\"{:.1f}\" r=\"2.2\" fill=\"{}\" fill-opacity=\"0.75\"/>\n",
                           px(s.x[i]), py(s.y[i]), color);
      }
      continue;
    }
    // Undrawable points split the line into segments.
    std::vector<std::vector<std::pair<double, double>>> segments(1);
    for (size_t i = 0; i < n; ++i) {
      if (!drawable(s.x[i], s.y[i], o)) {
        if (!segments.back().empty()) segments.emplace_back();
        continue;
      }
      segments.back().emplace_back(px(s.x[i]), py(s.y[i]));
    }
    for (const auto& seg : segments) {
      if (seg.empty()) continue;
      std::string pts;
      for (const auto& [x, y] : seg) pts += fmt::format("{:.1f},{:.1f} ", x, y);
      svg += fmt::format("<polyline points=\"{}\" fill=\"none\" stroke=\"{}\" stroke-width=\"1.8\"{}/>\n", pts, color,
                         series_dash(si));
      if (seg.size() == 1 || n <= 30) {  // few points: mark them
        for (const auto& [x, y] : seg)
          svg += fmt::format("<circle cx=\"{:.1f}\" cy=\"{:.1f}\" r=\"2.8\" fill=\"{}\"/>\n", x, y, color);
      }
    }
  }
  svg += "</g>\n";

  // Legend, right of the plot area.
  if (legend) {
    const int lx = kLeft + pw + 14;
    const size_t fits = static_cast<size_t>(std::max(1, (ph - 4) / kLegendRow));
    const bool overflow = series.size() > fits;
    const size_t shown = overflow ? fits - 1 : series.size();
    for (size_t i = 0; i < shown; ++i) {
      const double y = kTop + 8 + double(i) * kLegendRow;
      if (o.points) svg += fmt::format("<circle cx=\"{}\" cy=\"{:.1f}\" r=\"4\" fill=\"{}\"/>\n", lx + 9, y, series_color(i));
      else svg += fmt::format("<line x1=\"{}\" y1=\"{:.1f}\" x2=\"{}\" y2=\"{:.1f}\" stroke=\"{}\" stroke-width=\"3\"{}/>\n", lx,
                              y, lx + 18, y, series_color(i), series_dash(i));
      std::string name = series[i].name.size() > 24 ? series[i].name.substr(0, 23) + "…" : series[i].name;
      svg += text(lx + 24, y + 4, name, "start", 11);
    }
    if (overflow) svg += text(lx, kTop + 12 + double(shown) * kLegendRow, fmt::format("+{} more", series.size() - shown), "start", 11);
  }
  return svg + "</svg>\n";
}

}  // namespace ssl::host::report
