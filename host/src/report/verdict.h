#pragma once
// The first screen of a run report: "did it work?" in one sentence, from the run's alarms and
// its final kNN / linear accuracy against the baselines an encoder has to beat (raw pixels
// and the untrained encoder) when they are known. A study knows them (its arms with
// `backbone.type = "pixels"` or no training step) and writes them into each other arm's folder
// as baselines.json, so the arm's report.html, redrawn by `ssl-host report`, keeps them.
//   baselines.json: [{"kind": "raw pixels", "arm": "raw_pixels", "metrics": {"knn/top1": 0.857, ...}}, ...]
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "report/run_data.h"

namespace ssl::host::report {

struct Baseline {
  std::string kind;  // "raw pixels" or "untrained encoder"
  std::string arm;   // the study arm it comes from
  std::map<std::string, double> metrics;  // final "knn/top1", "linear/top1"
};

// "raw pixels" for a run whose backbone is `pixels`, "untrained encoder" for one that trained
// no step (trainer.epochs = 0), "" for a trained run.
std::string baseline_kind(const RunData& run);

// The accuracies a verdict compares, in order of preference.
inline const std::vector<std::string> kVerdictMetrics = {"knn/top1", "linear/top1"};

std::vector<Baseline> read_baselines(const std::filesystem::path& run_dir);  // none when missing or unreadable
void write_baselines(const std::filesystem::path& run_dir, const std::vector<Baseline>& baselines);

struct Verdict {
  enum class Level { Healthy, Problem, Unknown } level = Level::Unknown;
  std::string sentence;  // plain text, e.g. "healthy: no collapse alarm; kNN 0.873 beats raw pixels 0.857"
};
Verdict verdict(const RunData& run, const std::vector<Baseline>& baselines);

// The verdict as HTML and, when there are baselines, a table: metric, this run, each baseline.
std::string verdict_section(const RunData& run, const std::vector<Baseline>& baselines);

}  // namespace ssl::host::report
