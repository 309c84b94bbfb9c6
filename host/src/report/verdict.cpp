#include "report/verdict.h"

#include <fmt/core.h>
#include <nlohmann/json.hpp>

#include <fstream>
#include <set>

#include "atomic_file.h"
#include "report/svg_plot.h"

namespace ssl::host::report {

namespace fs = std::filesystem;

namespace {
std::string metric_name(const std::string& key) { return key == "knn/top1" ? "kNN" : key == "linear/top1" ? "linear" : key; }
}  // namespace

std::string baseline_kind(const RunData& run) {
  if (run.fact("backbone.type") == "pixels") return "raw pixels";
  if (run.fact("trainer.epochs") == "0" || (run.summary && run.summary->steps == 0)) return "untrained encoder";
  return "";
}

std::vector<Baseline> read_baselines(const fs::path& run_dir) {
  std::vector<Baseline> out;
  std::ifstream in(run_dir / "baselines.json");
  if (!in) return out;
  const auto j = nlohmann::json::parse(in, nullptr, false);
  if (j.is_discarded() || !j.is_array()) return out;
  for (const auto& b : j) {
    if (!b.is_object() || !b.contains("kind") || !b["kind"].is_string()) continue;
    Baseline base{b["kind"].get<std::string>(), b.value("arm", ""), {}};
    if (b.contains("metrics") && b["metrics"].is_object())
      for (const auto& [k, v] : b["metrics"].items())
        if (v.is_number()) base.metrics[k] = v.get<double>();
    out.push_back(std::move(base));
  }
  return out;
}

void write_baselines(const fs::path& run_dir, const std::vector<Baseline>& baselines) {
  nlohmann::json j = nlohmann::json::array();
  for (const auto& b : baselines) j.push_back({{"kind", b.kind}, {"arm", b.arm}, {"metrics", b.metrics}});
  const std::string text = j.dump(2) + "\n";
  write_file_atomic(run_dir / "baselines.json", std::vector<char>(text.begin(), text.end()));
}

Verdict verdict(const RunData& run, const std::vector<Baseline>& baselines) {
  Verdict v;
  std::vector<std::string> keys;  // the accuracies the run has, in kVerdictMetrics order
  for (const auto& k : kVerdictMetrics)
    if (run.final_value(k)) keys.push_back(k);
  auto join = [](const std::vector<std::string>& parts, const char* last) {
    std::string s;
    for (size_t i = 0; i < parts.size(); ++i) s += (i == 0 ? "" : i + 1 == parts.size() ? last : ", ") + parts[i];
    return s;
  };
  auto accuracy = [&](const std::string& k) { return fmt::format("{} {:.3f}", metric_name(k), *run.final_value(k)); };
  const std::string own_kind = baseline_kind(run);
  if (!own_kind.empty()) {
    std::vector<std::string> acc;
    for (const auto& k : keys) acc.push_back(accuracy(k));
    v.sentence = "baseline (" + own_kind + "): trains nothing; " +
                 (acc.empty() ? std::string("no final accuracy yet") : join(acc, ", ") + " is what a trained encoder has to beat");
    return v;
  }
  std::set<std::string> fired;
  for (const auto& a : run.alarms) fired.insert(a.value("alarm", "?"));
  std::string alarms;
  for (const auto& a : fired) alarms += (alarms.empty() ? "" : ", ") + a;
  if (keys.empty()) {
    v.sentence = fired.empty() ? "not known yet: no final kNN or linear accuracy (the run has not finished, or lists "
                                 "no knn / linear evaluator)"
                               : "problem: the collapse alarm fired (" + alarms + "); no final accuracy yet";
    v.level = fired.empty() ? Verdict::Level::Unknown : Verdict::Level::Problem;
    return v;
  }
  // Each accuracy against the baselines that have it: "kNN 0.873 beats raw pixels 0.857".
  bool missed = false, compared_any = false;
  std::vector<std::string> parts;
  for (const auto& k : keys) {
    const double value = *run.final_value(k);
    std::vector<std::string> beats, misses;
    for (const auto& b : baselines) {
      const auto it = b.metrics.find(k);
      if (it == b.metrics.end()) continue;
      (value > it->second ? beats : misses).push_back(fmt::format("{} {:.3f}", b.kind, it->second));
    }
    std::string part = accuracy(k);
    if (!beats.empty()) part += " beats " + join(beats, " and ");
    if (!misses.empty()) part += (beats.empty() ? " does not beat " : " but does not beat ") + join(misses, " and ");
    missed |= !misses.empty();
    compared_any |= !beats.empty() || !misses.empty();
    parts.push_back(std::move(part));
  }
  std::string compared = join(parts, "; ");
  if (!compared_any) compared = join(parts, ", ") + " (no raw-pixel or untrained baseline known; a study with such arms gives them)";
  const bool problem = !fired.empty() || !run.stopped_by.empty() || missed;
  v.level = problem ? Verdict::Level::Problem : Verdict::Level::Healthy;
  v.sentence = std::string(problem ? "problem: " : "healthy: ") +
               (fired.empty() ? "no collapse alarm" : "the collapse alarm fired (" + alarms + ")") +
               (run.stopped_by.empty() ? "" : ", the run was stopped by it") + "; " + compared;
  return v;
}

std::string verdict_section(const RunData& run, const std::vector<Baseline>& baselines) {
  const Verdict v = verdict(run, baselines);
  const char* cls = v.level == Verdict::Level::Healthy ? "verdict" : v.level == Verdict::Level::Problem ? "verdict bad"
                                                                                                      : "verdict unknown";
  std::string h = fmt::format("<p class=\"{}\">{}</p>\n", cls, xml_escape(v.sentence));
  if (baselines.empty()) return h;
  h += "<table><tr><th>metric</th><th>this run</th>";
  for (const auto& b : baselines) h += "<th>" + xml_escape(b.kind) + " (" + xml_escape(b.arm) + ")</th>";
  h += "</tr>\n";
  auto cell = [](const std::optional<double>& x) { return x ? fmt::format("{:.4f}", *x) : std::string("—"); };
  for (const auto& key : kVerdictMetrics) {
    h += "<tr><td>" + xml_escape(key) + "</td><td class=\"num\">" + cell(run.final_value(key)) + "</td>";
    for (const auto& b : baselines) {
      const auto it = b.metrics.find(key);
      h += "<td class=\"num\">" + cell(it == b.metrics.end() ? std::nullopt : std::optional<double>(it->second)) + "</td>";
    }
    h += "</tr>\n";
  }
  return h + "</table>\n";
}

}  // namespace ssl::host::report
