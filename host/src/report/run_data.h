#pragma once
// What a run folder holds, read back for the reports (report.html of one run, the study page
// comparing several). Reads only files of the folder:
//   pipeline.resolved.toml   the resolved pipeline: top-level keys and each section's `type`
//   metrics.jsonl            loss / lr / method terms by step, evaluator results by epoch
//                            (records with "final"), alarms ("alarm"), an alarm stop
//                            ("stopped_by_alarm"), the end-of-run summary ("summary")
//   spectra/, embeddings/    <prefix>_epoch<NNN>.csv files (see epoch_files)
//   neighbours/              test_knn_epoch<NNN>.json (report/neighbours.h)
// Lines that do not parse are skipped: a report of a running or damaged run still renders.
#include <nlohmann/json.hpp>

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "report/svg_plot.h"

namespace ssl::host::report {

// The trainer's last record of a finished run.
struct RunSummary {
  double wall_s = 0, train_s = 0, eval_s = 0, train_img_per_s = 0;
  int64_t steps = 0;
  bool resumed = false;  // times cover the last process only
};

struct RunData {
  std::string pipeline_toml;                  // empty when missing
  std::map<std::string, std::string> facts;   // "name", "method.type", "trainer.epochs", ...
  std::map<std::string, Series> by_step;      // loss, lr, <method>/..., batch/...
  std::map<std::string, Series> by_epoch;     // evaluator metrics
  std::map<std::string, double> final_values;
  std::vector<nlohmann::json> alarms;
  std::string stopped_by;
  int64_t stopped_step = -1, last_step = 0, last_epoch = 0;
  std::optional<RunSummary> summary;

  std::string fact(const std::string& key, const std::string& fallback = "") const;
  // The final value of a metric, if recorded.
  std::optional<double> final_value(const std::string& key) const;
};

RunData read_run(const std::filesystem::path& run_dir);

// CSV lines `a,b[,c]` -> rows of numbers (lines that do not parse are skipped).
std::vector<std::vector<double>> read_csv(const std::filesystem::path& file);

// {prefix -> {epoch -> path}} for files named <prefix>_epoch<NNN>.<extension> in `dir`
// (`extension`: letters only, e.g. "csv", "json").
std::map<std::string, std::map<int64_t, std::filesystem::path>> epoch_files(const std::filesystem::path& dir,
                                                                            const std::string& extension = "csv");

// The series of a `k,sigma` spectrum file (or `x,y[,label]` rows).
Series read_xy(const std::filesystem::path& file, const std::string& name);

}  // namespace ssl::host::report
