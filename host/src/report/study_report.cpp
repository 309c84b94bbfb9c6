#include "report/study_report.h"

#include <fmt/core.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <map>
#include <optional>
#include <set>

#include "atomic_file.h"
#include "report/neighbours.h"
#include "report/report.h"
#include "report/run_data.h"
#include "report/style.h"
#include "report/svg_plot.h"
#include "report/verdict.h"
#include "ssl/sdk/error.h"

namespace ssl::host::report {

namespace fs = std::filesystem;

namespace {

struct ArmRow {
  StudyArmRef ref;
  std::string rel_dir;  // from the study folder, for links
  RunData data;
  std::string status;
  std::vector<std::string> alarms;  // distinct metrics that fired
  std::optional<double> embedding_dim;
};

const char* kRepresentations[] = {"embedding", "backbone"};

std::string fmt_opt(const std::optional<double>& v, const char* spec = "{:.3f}") {
  return v ? fmt::format(fmt::runtime(spec), *v) : std::string("—");
}

std::string duration_text(double s) {
  const auto total = static_cast<int64_t>(s + 0.5);
  return total >= 60 ? fmt::format("{} min {:02d} s", total / 60, total % 60) : fmt::format("{} s", total);
}

std::vector<ArmRow> load_rows(const fs::path& study_dir, const std::vector<StudyArmRef>& arms) {
  std::vector<ArmRow> rows;
  for (const auto& a : arms) {
    ArmRow r;
    r.ref = a;
    r.rel_dir = a.dir.is_absolute() ? a.dir.string() : a.dir.lexically_normal().string();
    const fs::path dir = a.dir.is_absolute() ? a.dir : study_dir / a.dir;
    r.data = read_run(dir);
    std::set<std::string> fired;
    for (const auto& al : r.data.alarms)
      if (al.contains("alarm") && al["alarm"].is_string() && fired.insert(al["alarm"].get<std::string>()).second)
        r.alarms.push_back(al["alarm"].get<std::string>());
    if (!a.error.empty()) r.status = "failed: " + a.error;
    else if (r.data.summary) r.status = r.data.summary->resumed ? "finished (resumed)" : "finished";
    else if (!r.data.stopped_by.empty()) r.status = "stopped by the alarm on " + r.data.stopped_by;
    else if (r.data.last_step > 0) r.status = "incomplete";
    else r.status = "not run";
    const auto spectra = epoch_files(dir / "spectra");
    if (const auto it = spectra.find("embedding"); it != spectra.end() && !it->second.empty())
      r.embedding_dim = double(read_csv(it->second.rbegin()->second).size());
    rows.push_back(std::move(r));
  }
  return rows;
}

StudyPage read_study_json(const fs::path& study_dir) {
  const std::string file = (study_dir / "study.json").string();
  std::ifstream in(study_dir / "study.json");
  const auto j = nlohmann::json::parse(in, nullptr, false);
  SSL_CHECK(!j.is_discarded() && j.is_object() && j.contains("arms") && j["arms"].is_array(), file,
            " is not a study record (expected {\"name\", \"arms\": [...]})");
  StudyPage page;
  page.name = j.value("name", study_dir.filename().string());
  page.description = j.value("description", "");
  if (j.contains("columns")) {
    SSL_CHECK(j["columns"].is_array(), file, ": \"columns\" must be a list of metric names");
    for (const auto& c : j["columns"]) {
      SSL_CHECK(c.is_string(), file, ": \"columns\" must be a list of metric names");
      page.columns.push_back(c.get<std::string>());
    }
  }
  if (j.contains("against")) {
    SSL_CHECK(j["against"].is_string(), file, ": \"against\" must be a pipeline key (a string)");
    page.against = j["against"].get<std::string>();
  }
  for (const auto& a : j["arms"]) {
    SSL_CHECK(a.is_object() && a.contains("name") && a["name"].is_string() && a.contains("dir") && a["dir"].is_string(),
              file, ": every arm needs \"name\" and \"dir\" (strings)");
    page.arms.push_back({a["name"].get<std::string>(), fs::path(a["dir"].get<std::string>()), a.value("error", ""),
                         a.value("compare_to", "")});
  }
  return page;
}

std::optional<double> metric(const ArmRow& r, const std::string& key) { return r.data.final_value(key); }

const ArmRow* find_row(const std::vector<ArmRow>& rows, const std::string& name) {
  for (const auto& r : rows)
    if (r.ref.name == name) return &r;
  return nullptr;
}

// The change of `key` from the arm's compare_to arm; empty when either lacks it.
std::optional<double> change(const std::vector<ArmRow>& rows, const ArmRow& r, const std::string& key) {
  const ArmRow* base = r.ref.compare_to.empty() ? nullptr : find_row(rows, r.ref.compare_to);
  const auto a = metric(r, key);
  const auto b = base ? metric(*base, key) : std::nullopt;
  if (!a || !b) return std::nullopt;
  return *a - *b;
}

// kNN and linear top-1 and the study's extra columns: the "Selected metrics" table.
std::vector<std::string> selected_metrics(const std::vector<std::string>& columns) {
  std::vector<std::string> keys{"knn/top1", "linear/top1"};
  for (const auto& c : columns)
    if (std::find(keys.begin(), keys.end(), c) == keys.end()) keys.push_back(c);
  return keys;
}

std::string results_csv(const std::vector<ArmRow>& rows, const std::vector<std::string>& columns) {
  std::string out =
      "arm,status,method,backbone,epochs,steps,train_s,img_per_s,knn_top1,linear_top1,embedding_std_sqrt_d,"
      "embedding_rankme,embedding_dim,alarms,compare_to";
  const auto keys = selected_metrics(columns);
  for (size_t i = 2; i < keys.size(); ++i) out += "," + keys[i];
  for (const auto& k : keys) out += "," + k + " change";
  out += "\n";
  auto num = [](const std::optional<double>& v) { return v ? fmt::format("{:.6g}", *v) : std::string(); };
  for (const auto& r : rows) {
    std::string alarms;
    for (const auto& a : r.alarms) alarms += (alarms.empty() ? "" : " ") + a;
    std::string status = r.status;
    for (char& c : status)
      if (c == ',' || c == '\n') c = ';';
    const auto& s = r.data.summary;
    out += fmt::format("{},{},{},{},{},{},{},{},{},{},{},{},{},{},{}", r.ref.name, status, r.data.fact("method.type"),
                       r.data.fact("backbone.type"), r.data.last_epoch, s ? std::to_string(s->steps) : "",
                       s ? num(s->train_s) : "", s ? num(s->train_img_per_s) : "", num(metric(r, "knn/top1")),
                       num(metric(r, "linear/top1")), num(metric(r, "collapse/embedding/std_sqrt_d")),
                       num(metric(r, "collapse/embedding/rankme")), num(r.embedding_dim), alarms, r.ref.compare_to);
    for (size_t i = 2; i < keys.size(); ++i) out += "," + num(metric(r, keys[i]));
    for (const auto& k : keys) out += "," + num(change(rows, r, k));
    out += "\n";
  }
  return out;
}

std::string figure(const std::vector<Series>& s, const PlotOptions& o) {
  return "<figure>" + svg_plot(s, o) + "</figure>\n";
}

// One series per arm of an evaluator metric by epoch; empty when no arm has it.
std::vector<Series> per_arm(const std::vector<ArmRow>& rows, const std::string& key) {
  std::vector<Series> out;
  for (const auto& r : rows) {
    const auto it = r.data.by_epoch.find(key);
    if (it == r.data.by_epoch.end()) continue;
    Series s = it->second;
    s.name = r.ref.name;
    out.push_back(std::move(s));
  }
  return out;
}

// The per-step training loss of every trained arm, one group per method: losses of different
// methods are on different scales (BYOL's is in [0, 8], SimSiam's in [-1, 1]).
std::map<std::string, std::vector<Series>> loss_by_method(const std::vector<ArmRow>& rows) {
  std::map<std::string, std::vector<Series>> out;
  for (const auto& r : rows) {
    const auto it = r.data.by_step.find("loss");
    if (it == r.data.by_step.end() || it->second.x.empty()) continue;
    Series s = it->second;
    s.name = r.ref.name;
    out[r.data.fact("method.type", "?")].push_back(std::move(s));
  }
  return out;
}

// Final metrics against the numeric pipeline key `key` of the arms (data.batch_size, trainer.epochs, ...):
// one figure per metric, one line per method through its arms sorted by the key. Log x when
// the values are positive and span a factor of 8 or more. Arms without a numeric value are
// named under the figures; an arm without a metric is left out of that metric's figure.
std::string against_section(const std::vector<ArmRow>& rows, const std::string& key, const std::vector<std::string>& columns) {
  std::string h = "<h2>Final metrics against " + xml_escape(key) + "</h2>\n";
  std::vector<std::pair<const ArmRow*, double>> arms;
  std::vector<std::string> skipped;
  for (const auto& r : rows) {
    const std::string v = r.data.fact(key);
    char* end = nullptr;
    const double x = v.empty() ? NAN : std::strtod(v.c_str(), &end);
    if (v.empty() || end != v.c_str() + v.size() || !std::isfinite(x)) skipped.push_back(r.ref.name);
    else arms.emplace_back(&r, x);
  }
  std::stable_sort(arms.begin(), arms.end(), [](const auto& a, const auto& b) { return a.second < b.second; });
  bool positive = !arms.empty();
  double lo = INFINITY, hi = -INFINITY;
  for (const auto& a : arms) {
    positive = positive && a.second > 0;
    lo = std::min(lo, a.second);
    hi = std::max(hi, a.second);
  }
  const bool log_x = positive && hi >= 8 * lo;
  std::vector<std::string> metrics = {"knn/top1", "linear/top1"};
  for (const auto& c : columns)
    if (std::find(metrics.begin(), metrics.end(), c) == metrics.end()) metrics.push_back(c);
  std::string figures;
  for (const auto& m : metrics) {
    std::map<std::string, Series> by_method;
    for (const auto& [r, x] : arms) {
      const auto y = metric(*r, m);
      if (!y) continue;
      Series& s = by_method[r->data.fact("method.type", "?")];
      s.name = r->data.fact("method.type", "?");
      s.x.push_back(x);
      s.y.push_back(*y);
    }
    if (by_method.empty()) continue;
    std::vector<Series> series;
    for (auto& [method, s] : by_method) series.push_back(std::move(s));
    PlotOptions o{m + " against " + key, key, m, false, false, 640, 360};
    o.log_x = log_x;
    figures += figure(series, o);
  }
  if (figures.empty()) h += "<p class=\"none\">No arm has both a numeric " + xml_escape(key) + " and a final metric.</p>\n";
  else h += "<div class=\"grid\">\n" + figures + "</div>\n";
  if (!skipped.empty()) {
    std::string names;
    for (const auto& n : skipped) names += (names.empty() ? "" : ", ") + xml_escape(n);
    h += "<p class=\"note\">Not plotted (no numeric " + xml_escape(key) + " in the resolved pipeline): " + names + ".</p>\n";
  }
  return h;
}

fs::path arm_dir(const fs::path& study_dir, const ArmRow& r) { return r.ref.dir.is_absolute() ? r.ref.dir : study_dir / r.ref.dir; }

// The baselines of a study: its finished arms that train nothing (baseline_kind).
std::vector<Baseline> study_baselines(const std::vector<ArmRow>& rows) {
  std::vector<Baseline> out;
  for (const auto& r : rows) {
    const std::string kind = baseline_kind(r.data);
    if (kind.empty() || !r.data.summary) continue;
    Baseline b{kind, r.ref.name, {}};
    for (const auto& key : kVerdictMetrics)
      if (const auto v = r.data.final_value(key)) b.metrics[key] = *v;
    if (!b.metrics.empty()) out.push_back(std::move(b));
  }
  return out;
}

// The trained arm with the best final kNN top-1 and every baseline arm, each with the first
// queries of its newest neighbour grid, side by side (the arms share the test split, so the
// queries are the same images).
std::string neighbours_side_by_side(const fs::path& study_dir, const std::vector<ArmRow>& rows) {
  constexpr int64_t kQueries = 4;
  const ArmRow* best = nullptr;
  for (const auto& r : rows) {
    if (!baseline_kind(r.data).empty() || !metric(r, "knn/top1")) continue;
    if (!best || *metric(r, "knn/top1") > *metric(*best, "knn/top1")) best = &r;
  }
  std::string h;
  auto add = [&](const ArmRow& r, const std::string& title) {
    const nlohmann::json record = read_neighbours(arm_dir(study_dir, r));
    if (record.is_null()) return;
    h += "<figure><p><b>" + xml_escape(r.ref.name) + "</b> — " + xml_escape(title) + fmt_opt(metric(r, "knn/top1")) +
         "</p>" + neighbours_grid(record, kQueries) + "</figure>\n";
  };
  if (best) add(*best, "best kNN top-1 ");
  for (const auto& r : rows)
    if (const std::string kind = baseline_kind(r.data); !kind.empty()) add(r, kind + ", kNN top-1 ");
  if (h.empty()) return "<p class=\"none\">No arm has a nearest-neighbour grid (needs a knn or linear evaluator).</p>\n";
  return "<div class=\"grid\">\n" + h + "</div>\n<p class=\"note\">The first test images of each grid and the "
         "training images nearest to them (cosine, backbone features); a red frame where the label differs.</p>\n";
}

// Each arm's kNN, linear and extra-column values, with the change from its compare_to arm.
std::string selected_table(const std::vector<ArmRow>& rows, const std::vector<std::string>& columns) {
  const auto keys = selected_metrics(columns);
  bool any_compare = false;
  for (const auto& r : rows) any_compare = any_compare || !r.ref.compare_to.empty();
  if (columns.empty() && !any_compare) return "";
  std::string h = "<h2>Selected metrics</h2>\n<table><tr><th>arm</th>";
  if (any_compare) h += "<th>compared to</th>";
  for (const auto& k : keys) h += "<th>" + xml_escape(k) + "</th>";
  h += "</tr>\n";
  for (const auto& r : rows) {
    h += "<tr><td>" + xml_escape(r.ref.name) + "</td>";
    if (any_compare) h += "<td>" + (r.ref.compare_to.empty() ? std::string("—") : xml_escape(r.ref.compare_to)) + "</td>";
    for (const auto& k : keys) {
      const auto d = change(rows, r, k);
      h += "<td class=\"num\">" + fmt_opt(metric(r, k)) + (d ? fmt::format(" ({:+.3f})", *d) : std::string()) + "</td>";
    }
    h += "</tr>\n";
  }
  h += "</table>\n<p class=\"note\">Final values; in parentheses the change from the arm in the second "
       "column (compare_to).</p>\n";
  std::string missing;  // a study column no arm reports: most often a misspelt metric name
  for (const auto& k : columns) {
    bool reported = false;
    for (const auto& r : rows) reported = reported || metric(r, k).has_value();
    if (!reported) missing += (missing.empty() ? "" : ", ") + xml_escape(k);
  }
  if (!missing.empty())
    h += "<p class=\"none\">No arm reports " + missing +
         " (a metric's name is its key in the arms' metrics.jsonl, e.g. linear/tail/top1).</p>\n";
  return h;
}

std::string render_page(const fs::path& study_dir, const StudyPage& page, const std::vector<ArmRow>& rows) {
  const std::string& name = page.name;
  const std::string& description = page.description;
  std::string h = "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n<title>" + xml_escape(name) +
                  " — ssl-host study</title>\n<style>" + kReportStyle + "</style></head><body>\n";
  h += "<h1>" + xml_escape(name) + "</h1>\n";
  if (!description.empty()) h += "<p class=\"desc\">" + xml_escape(description) + "</p>\n";

  h += "<h2>Arms</h2>\n<table><tr><th>arm</th><th>status</th><th>method</th><th>backbone</th><th>epochs</th>"
       "<th>training time</th><th>img/s</th><th>kNN top-1</th><th>linear top-1</th><th>embedding std&middot;&radic;d</th>"
       "<th>embedding RankMe / d</th><th>alarms</th></tr>\n";
  for (const auto& r : rows) {
    const auto& s = r.data.summary;
    std::string alarms;
    for (const auto& a : r.alarms) alarms += (alarms.empty() ? "" : ", ") + a;
    const auto rankme = metric(r, "collapse/embedding/rankme");
    const bool trained = s && s->steps > 0;  // epochs = 0 baselines train nothing
    h += fmt::format(
        "<tr><td><a href=\"{}/report.html\">{}</a></td><td>{}</td><td>{}</td><td>{}</td><td class=\"num\">{}</td>"
        "<td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td>"
        "<td class=\"num\">{}</td><td class=\"num\">{}</td><td>{}</td></tr>\n",
        xml_escape(r.rel_dir), xml_escape(r.ref.name), xml_escape(r.status), xml_escape(r.data.fact("method.type", "—")),
        xml_escape(r.data.fact("backbone.type", "—")), r.data.last_epoch, trained ? duration_text(s->train_s) : "—",
        trained ? fmt::format("{:.0f}", s->train_img_per_s) : "—", fmt_opt(metric(r, "knn/top1")),
        fmt_opt(metric(r, "linear/top1")), fmt_opt(metric(r, "collapse/embedding/std_sqrt_d")),
        rankme ? fmt_opt(rankme, "{:.1f}") + " / " + fmt_opt(r.embedding_dim, "{:.0f}") : "—",
        alarms.empty() ? "none" : "<span class=\"fired\">" + xml_escape(alarms) + "</span>");
  }
  h += "</table>\n<p class=\"note\">Training time excludes evaluation rounds; img/s counts images of the batch "
       "(each with all its views). Accuracies and collapse metrics are the final evaluation's. Each arm's name "
       "links to its own report.</p>\n";
  h += selected_table(rows, page.columns);

  h += "<h2>Accuracy by epoch</h2>\n<div class=\"grid\">\n";
  bool any = false;
  for (const auto& [key, title] : {std::pair<std::string, std::string>{"knn/top1", "kNN top-1"}, {"linear/top1", "linear top-1"}}) {
    const auto series = per_arm(rows, key);
    if (series.empty()) continue;
    any = true;
    h += figure(series, {title + " by epoch", "epoch", title, false, false, 640, 360});
  }
  h += any ? "</div>\n" : "</div><p class=\"none\">No accuracy metrics in any arm.</p>\n";

  if (!page.against.empty()) h += against_section(rows, page.against, page.columns);

  h += "<h2>Training loss by step</h2>\n";
  const auto losses = loss_by_method(rows);
  if (losses.empty()) {
    h += "<p class=\"none\">No arm has trained a step yet.</p>\n";
  } else {
    h += "<div class=\"grid\">\n";
    for (const auto& [method, series] : losses)
      h += figure(series, {"training loss: " + method, "step", "loss", false, false, 640, 340});
    h += "</div>\n<p class=\"note\">One figure per method: the losses of different methods are on different "
         "scales. A loss that falls to its minimum while the accuracy falls is the signature of collapse.</p>\n";
  }

  h += "<h2>Collapse metrics by epoch</h2>\n<div class=\"grid\">\n";
  any = false;
  for (const char* repr : kRepresentations) {
    for (const char* leaf : {"std_sqrt_d", "rankme"}) {
      const auto series = per_arm(rows, fmt::format("collapse/{}/{}", repr, leaf));
      if (series.empty()) continue;
      any = true;
      h += figure(series, {fmt::format("{} {} by epoch", repr, leaf), "epoch", leaf, false, false, 640, 340});
    }
  }
  h += any ? "</div>\n" : "</div><p class=\"none\">No collapse metrics (add a <code>collapse</code> evaluator to the arms).</p>\n";

  h += "<h2>Singular-value spectra, last evaluation of each arm</h2>\n<div class=\"grid\">\n";
  any = false;
  for (const char* repr : kRepresentations) {
    std::vector<Series> series;
    for (const auto& r : rows) {
      const fs::path dir = r.ref.dir.is_absolute() ? r.ref.dir : study_dir / r.ref.dir;
      const auto files = epoch_files(dir / "spectra");
      const auto it = files.find(repr);
      if (it == files.end() || it->second.empty()) continue;
      const auto& [epoch, path] = *it->second.rbegin();
      series.push_back(read_xy(path, fmt::format("{} (epoch {})", r.ref.name, epoch)));
    }
    if (series.empty()) continue;
    any = true;
    h += figure(series, {std::string("singular-value spectrum: ") + repr, "index k (sorted)", "sigma_k", true, false, 760, 420});
  }
  h += any ? "</div>\n<p class=\"note\">Eigenvalues of the covariance of the L2-normalised features (they sum to at "
             "most 1, so arms of different dimension compare). A tail that drops by decades is dimensional "
             "collapse (Jing et al. 2022); zeros are not drawn on the log axis.</p>\n"
           : "</div><p class=\"none\">No spectra in any arm.</p>\n";

  h += "<h2>Nearest neighbours</h2>\n" + neighbours_side_by_side(study_dir, rows);

  h += "<h2>Alarms</h2>\n";
  any = false;
  for (const auto& r : rows) {
    for (const auto& a : r.data.alarms) {
      any = true;
      h += fmt::format("<p class=\"alarm\"><b>{}</b>: {} = {:.4g} (threshold {:.4g}) at step {} — {}</p>\n",
                       xml_escape(r.ref.name), xml_escape(a.value("alarm", "")), a.value("value", NAN),
                       a.value("threshold", NAN), a.value("step", 0), xml_escape(a.value("meaning", "")));
    }
  }
  if (!any) h += "<p class=\"ok\">No alarm fired in any arm.</p>\n";
  return h + "</body></html>\n";
}

void write_text(const fs::path& path, const std::string& text) {
  write_file_atomic(path, std::vector<char>(text.begin(), text.end()));
}

fs::path write_outputs(const fs::path& study_dir, const StudyPage& page) {
  const auto rows = load_rows(study_dir, page.arms);
  // Each trained arm's report compares it with the study's baselines (verdict.h).
  if (const auto baselines = study_baselines(rows); !baselines.empty()) {
    for (const auto& r : rows) {
      const fs::path dir = arm_dir(study_dir, r);
      if (!baseline_kind(r.data).empty() || !is_run_folder(dir)) continue;
      write_baselines(dir, baselines);
      refresh_report(dir);
    }
  }
  write_text(study_dir / "results.csv", results_csv(rows, page.columns));
  const fs::path file = study_dir / "report.html";
  write_text(file, render_page(study_dir, page, rows));
  return file;
}

}  // namespace

fs::path write_study(const fs::path& study_dir, const StudyPage& page) {
  std::error_code ec;
  fs::create_directories(study_dir, ec);
  if (ec) throw sdk::Error("cannot create the study folder " + study_dir.string() + ": " + ec.message());
  nlohmann::json j{{"name", page.name}, {"description", page.description}, {"arms", nlohmann::json::array()}};
  if (!page.columns.empty()) j["columns"] = page.columns;
  if (!page.against.empty()) j["against"] = page.against;
  StudyPage relative = page;
  const fs::path base = fs::absolute(study_dir).lexically_normal();
  for (auto& r : relative.arms) {
    const fs::path given = r.dir;
    r.dir = fs::absolute(given).lexically_normal().lexically_relative(base);
    if (r.dir.empty()) r.dir = fs::absolute(given);
    nlohmann::json arm{{"name", r.name}, {"dir", r.dir.string()}};
    if (!r.error.empty()) arm["error"] = r.error;
    if (!r.compare_to.empty()) arm["compare_to"] = r.compare_to;
    j["arms"].push_back(arm);
  }
  write_text(study_dir / "study.json", j.dump(2) + "\n");
  return write_outputs(study_dir, relative);
}

bool is_study_folder(const fs::path& dir) {
  std::error_code ec;
  return fs::is_regular_file(dir / "study.json", ec);
}

fs::path rewrite_study(const fs::path& study_dir) { return write_outputs(study_dir, read_study_json(study_dir)); }

std::string study_table_text(const fs::path& study_dir) {
  const auto rows = load_rows(study_dir, read_study_json(study_dir).arms);
  std::string out = fmt::format("{:<24} {:<20} {:>6} {:>14} {:>6} {:>7} {:>7} {:>11} {:>8}\n", "arm", "status", "epochs",
                                "training time", "img/s", "kNN", "linear", "std*sqrt(d)", "RankMe");
  for (const auto& r : rows) {
    const auto& s = r.data.summary;
    std::string status = r.status.size() > 20 ? r.status.substr(0, 19) + "~" : r.status;
    const bool trained = s && s->steps > 0;
    out += fmt::format("{:<24} {:<20} {:>6} {:>14} {:>6} {:>7} {:>7} {:>11} {:>8}\n", r.ref.name, status,
                       r.data.last_epoch, trained ? duration_text(s->train_s) : "—",
                       trained ? fmt::format("{:.0f}", s->train_img_per_s) : "—", fmt_opt(metric(r, "knn/top1")),
                       fmt_opt(metric(r, "linear/top1")), fmt_opt(metric(r, "collapse/embedding/std_sqrt_d")),
                       fmt_opt(metric(r, "collapse/embedding/rankme"), "{:.1f}"));
  }
  return out;
}

}  // namespace ssl::host::report
