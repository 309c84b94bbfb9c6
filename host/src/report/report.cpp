#include "report/report.h"

#include <fmt/core.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <map>

#include "atomic_file.h"
#include "report/neighbours.h"
#include "report/run_data.h"
#include "report/style.h"
#include "report/svg_plot.h"
#include "report/verdict.h"
#include "ssl/sdk/log.h"

namespace ssl::host::report {

namespace fs = std::filesystem;

namespace {

std::string leaf(const std::string& key) { return key.substr(key.rfind('/') + 1); }
bool ends_with(const std::string& s, const std::string& t) {
  return s.size() >= t.size() && s.compare(s.size() - t.size(), t.size(), t) == 0;
}
bool is_accuracy(const std::string& key) { return ends_with(key, "top1") || ends_with(key, "top5"); }
bool is_collapse(const std::string& key) {
  static const char* kLeaves[] = {"std", "std_sqrt_d", "rankme", "small_sv", "alignment", "uniformity"};
  return key.rfind("collapse", 0) == 0 || std::find(std::begin(kLeaves), std::end(kLeaves), leaf(key)) != std::end(kLeaves);
}

std::string figure(const std::vector<Series>& s, PlotOptions o) { return "<figure>" + svg_plot(s, o) + "</figure>\n"; }

std::string spectra_section(const fs::path& run_dir) {
  const auto files = epoch_files(run_dir / "spectra");
  if (files.empty()) return "<p class=\"none\">No spectra (add a <code>collapse</code> evaluator).</p>\n";
  std::string html = "<div class=\"grid\">\n";
  for (const auto& [repr, epochs] : files) {
    std::vector<std::pair<int64_t, fs::path>> all(epochs.begin(), epochs.end());
    std::vector<size_t> pick;  // at most 6, evenly spaced, first and last included
    const size_t n = all.size(), want = std::min<size_t>(n, 6);
    for (size_t i = 0; i < want; ++i) pick.push_back(want == 1 ? n - 1 : i * (n - 1) / (want - 1));
    pick.erase(std::unique(pick.begin(), pick.end()), pick.end());
    std::vector<Series> series;
    for (size_t i : pick) series.push_back(read_xy(all[i].second, fmt::format("epoch {}", all[i].first)));
    html += figure(series, {"singular-value spectrum: " + repr, "index k (sorted)", "sigma_k", true, false, 600, 360});
  }
  return html + "</div>\n<p class=\"note\">Eigenvalues of the covariance of the L2-normalised features; zeros are not "
                "drawn on the log axis. A tail that drops by many decades shows dimensional collapse "
                "(Jing et al. 2022).</p>\n";
}

std::string pca_section(const fs::path& run_dir) {
  const auto files = epoch_files(run_dir / "embeddings");
  const auto it = files.find("test_pca");
  if (it == files.end() || it->second.empty())
    return "<p class=\"none\">No embedding projection (needs a <code>[data.test]</code> split and an evaluation round).</p>\n";
  const auto& [epoch, path] = *it->second.rbegin();
  std::map<int64_t, Series> by_label;
  for (const auto& row : read_csv(path)) {
    const int64_t label = row.size() >= 3 ? int64_t(row[2]) : -1;
    Series& s = by_label[label];
    s.name = label < 0 ? "unlabelled" : fmt::format("class {}", label);
    s.x.push_back(row[0]);
    s.y.push_back(row[1]);
  }
  std::vector<Series> series;
  size_t points = 0;
  for (auto& [l, s] : by_label) { points += s.x.size(); series.push_back(std::move(s)); }
  return "<div class=\"grid\">" +
         figure(series, {fmt::format("test backbone features, PCA, epoch {}", epoch), "principal component 1",
                         "principal component 2", false, true, 760, 520}) + "</div>\n" +
         fmt::format("<p class=\"note\">{} test samples (fixed seeded subset), projected on the two leading "
                     "principal components of their backbone features.{}</p>\n",
                     points, series.size() > 10 ? " More than 10 classes: colours repeat." : "");
}

std::string neighbours_section(const fs::path& run_dir) {
  const nlohmann::json record = read_neighbours(run_dir);
  if (record.is_null())
    return "<p class=\"none\">No nearest neighbours (need a <code>knn</code> or <code>linear</code> evaluator "
           "with <code>[data.train]</code> and <code>[data.test]</code>).</p>\n";
  return fmt::format("<p class=\"note\">Epoch {}: {} fixed test images (left) and their {} most cosine-similar "
                     "training images among {} (backbone features, as the kNN evaluator scores them); similarity "
                     "under each, a red frame where the label differs from the query's.</p>\n",
                     record.value("epoch", 0), record["queries"].size(), kNeighboursShown,
                     record.value("bank_size", 0)) +
         neighbours_grid(record);
}

}  // namespace

bool is_run_folder(const fs::path& dir) {
  std::error_code ec;
  return fs::is_directory(dir, ec) &&
         (fs::exists(dir / "metrics.jsonl", ec) || fs::exists(dir / "pipeline.resolved.toml", ec));
}

std::string render_report(const fs::path& run_dir) {
  const RunData c = read_run(run_dir);
  const std::string& toml = c.pipeline_toml;
  const std::string name = c.fact("name", run_dir.filename().string());
  auto fact = [&](const std::string& k) { return xml_escape(c.fact(k, "—")); };

  std::string h = "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n<title>" + xml_escape(name) +
                  " — ssl-host run report</title>\n<style>" + kReportStyle + "</style></head><body>\n";
  h += "<h1>" + xml_escape(name) + "</h1>\n";
  if (!c.fact("description").empty()) h += "<p class=\"desc\">" + fact("description") + "</p>\n";
  h += verdict_section(c, read_baselines(run_dir));
  h += "<table><tr><th>method</th><th>backbone</th><th>training data</th><th>test data</th><th>steps</th>"
       "<th>epochs evaluated</th></tr>\n";
  h += fmt::format("<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td></tr></table>\n",
                   fact("method.type"), fact("backbone.type"), fact("data.train.type"), fact("data.test.type"),
                   c.last_step, c.last_epoch);
  if (c.summary) {
    h += fmt::format("<p class=\"desc\">Finished: {} steps trained in {:.0f} s ({:.0f} img/s), evaluation {:.0f} s, "
                     "wall {:.0f} s{}.</p>\n",
                     c.summary->steps, c.summary->train_s, c.summary->train_img_per_s, c.summary->eval_s,
                     c.summary->wall_s, c.summary->resumed ? " (the last resumed part only)" : "");
  }
  if (!c.stopped_by.empty() && c.stopped_step >= c.last_step)  // not when resumed since
    h += "<p class=\"alarm\">The run was stopped by the alarm on <b>" + xml_escape(c.stopped_by) + "</b> (stop_on_alarm).</p>\n";

  h += "<h2>Final metrics</h2>\n";
  if (c.final_values.empty()) h += "<p class=\"none\">No metrics yet.</p>\n";
  else {
    h += "<table><tr><th>metric</th><th>value</th></tr>\n";
    for (const auto& [k, v] : c.final_values)
      h += "<tr><td>" + xml_escape(k) + "</td><td class=\"num\">" + xml_escape(fmt::format("{:.4g}", v)) + "</td></tr>\n";
    h += "</table>\n";
  }

  h += "<h2>Alarms</h2>\n";
  if (c.alarms.empty()) h += "<p class=\"ok\">No alarm fired.</p>\n";
  for (const auto& a : c.alarms) {
    h += fmt::format("<p class=\"alarm\"><b>{}</b> = {:.4g} (threshold {:.4g}) at step {} — {}</p>\n",
                     xml_escape(a.value("alarm", "")), a.value("value", NAN), a.value("threshold", NAN),
                     a.value("step", 0), xml_escape(a.value("meaning", "")));
  }

  h += "<h2>Training</h2>\n<div class=\"grid\">\n";
  auto step_series = [&](const std::string& k) { return c.by_step.count(k) ? c.by_step.at(k) : Series{k, {}, {}}; };
  Series loss = step_series("loss"), lr = step_series("lr");
  loss.name.clear();
  lr.name.clear();
  h += figure({loss}, {"training loss", "step", "loss", false, false, 600, 340});
  h += figure({lr}, {"learning rate", "step", "lr", false, false, 600, 340});
  std::vector<Series> terms, batch;
  for (const auto& [k, s] : c.by_step) {
    if (k == "loss" || k == "lr" || k == "img_per_s" || k == "data_wait_s") continue;
    (k.rfind("batch/", 0) == 0 ? batch : terms).push_back(s);
  }
  if (!terms.empty()) h += figure(terms, {"method terms", "step", "value", false, false, 600, 340});
  h += "</div>\n";

  h += "<h2>Evaluation</h2>\n";
  std::vector<Series> acc;
  for (const auto& [k, s] : c.by_epoch)
    if (is_accuracy(k)) acc.push_back(s);
  if (acc.empty()) h += "<p class=\"none\">No accuracy metrics (knn, linear) in this run.</p>\n";
  else h += "<div class=\"grid\">" + figure(acc, {"evaluator accuracy", "epoch", "accuracy", false, false, 760, 380}) + "</div>\n";

  h += "<h2>Collapse diagnostics</h2>\n";
  std::map<std::string, std::vector<Series>> by_leaf;
  for (const auto& [k, s] : c.by_epoch) {
    if (!is_collapse(k) || is_accuracy(k)) continue;
    Series named = s;  // legend: the key without its leaf and without "collapse/"
    named.name = k.substr(0, k.rfind('/'));
    if (named.name.rfind("collapse/", 0) == 0) named.name = named.name.substr(9);
    by_leaf[leaf(k)].push_back(std::move(named));
  }
  if (by_leaf.empty() && batch.empty()) h += "<p class=\"none\">No collapse metrics (add a <code>collapse</code> evaluator).</p>\n";
  h += "<div class=\"grid\">\n";
  static const std::vector<std::string> kOrder = {"std_sqrt_d", "rankme", "small_sv", "std", "alignment", "uniformity"};
  auto rank = [](const std::string& l) { return std::find(kOrder.begin(), kOrder.end(), l) - kOrder.begin(); };
  std::vector<std::string> leaves;
  for (const auto& [l, series] : by_leaf) leaves.push_back(l);
  std::stable_sort(leaves.begin(), leaves.end(), [&](const auto& a, const auto& b) { return rank(a) < rank(b); });
  for (const auto& l : leaves) h += figure(by_leaf[l], {l + " by epoch", "epoch", l, false, false, 600, 320});
  for (auto& s : batch) {
    const std::string l = s.name;
    s.name.clear();
    h += figure({s}, {l + " (training batch, first view)", "step", leaf(l), false, false, 600, 320});
  }
  h += "</div>\n<p class=\"note\">std_sqrt_d: ~1 healthy, 0 collapsed (SimSiam). rankme: effective rank, at most "
       "min(samples, D) (Garrido et al. 2023). small_sv: directions with ~no variance. alignment / uniformity: "
       "Wang &amp; Isola 2020.</p>\n";

  h += "<h2>Singular-value spectra</h2>\n" + spectra_section(run_dir);
  h += "<h2>Test embeddings</h2>\n" + pca_section(run_dir);
  h += "<h2>Nearest neighbours</h2>\n" + neighbours_section(run_dir);
  std::error_code ec;
  if (fs::exists(run_dir / "preview.html", ec))
    h += "<p class=\"note\">What the augmentations made of the first training images: "
         "<a href=\"preview.html\">preview.html</a>.</p>\n";
  h += "<h2>Resolved pipeline</h2>\n<pre>" + xml_escape(toml.empty() ? "(pipeline.resolved.toml is missing)" : toml) +
       "</pre>\n</body></html>\n";
  return h;
}

fs::path write_report(const fs::path& run_dir) {
  const std::string html = render_report(run_dir);
  const fs::path out = run_dir / "report.html";
  write_file_atomic(out, std::vector<char>(html.begin(), html.end()));
  return out;
}

}  // namespace ssl::host::report

namespace ssl::host::report {
void refresh_report(const fs::path& run_dir) noexcept {
  try {
    write_report(run_dir);
  } catch (const std::exception& e) {
    sdk::log_warning(std::string("report.html not written: ") + e.what());
  }
}
}  // namespace ssl::host::report
