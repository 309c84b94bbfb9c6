#pragma once
// Self-contained SVG line and scatter plots for the run report: axes with "nice" ticks,
// grid lines, axis labels, a title and a legend; optional logarithmic y axis. Points that
// cannot be drawn (NaN, infinite, or <= 0 on a log axis) are skipped and split a line into
// segments. The output is an inline <svg> element (no scripts, no external resources).
#include <string>
#include <vector>

namespace ssl::host::report {

struct Series {
  std::string name;       // legend entry
  std::vector<double> x;  // same length as y
  std::vector<double> y;
};

struct PlotOptions {
  std::string title;
  std::string x_label;
  std::string y_label;
  bool log_y = false;
  bool points = false;  // a scatter plot: dots only, no lines
  int width = 600;      // whole figure, legend included
  int height = 340;
  bool log_x = false;   // decades on x (positive x only)
};

std::string svg_plot(const std::vector<Series>& series, const PlotOptions& options);

// Escapes & < > " ' for XML text and attribute values.
std::string xml_escape(const std::string& text);

// Tick values at 1, 2 or 5 x 10^k spacing covering [lo, hi] with about `target` ticks.
std::vector<double> nice_ticks(double lo, double hi, int target);
// Powers of ten in [lo, hi] (lo > 0), with 2 and 5 multiples when the range is under 2 decades.
std::vector<double> log_ticks(double lo, double hi);
// A short tick label: 3 significant digits, exponent form for very large or small values.
std::string format_number(double value);
// Colour of series i (Tableau 10 palette, cycled) and its line pattern (an SVG attribute,
// "" for the first ten: solid, then dashed, then dotted).
const char* series_color(size_t index);
const char* series_dash(size_t index);

}  // namespace ssl::host::report
