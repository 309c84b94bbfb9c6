#pragma once
// report.html: a self-contained page (inline CSS, SVG and PNG, no script, no network) summarising
// a run folder. It reads only files of the folder:
//   pipeline.resolved.toml   header (name, description, method, backbone, dataset) and a copy
//   metrics.jsonl            loss / lr / method terms by step, evaluator results by epoch,
//                            alarms (records with "alarm"), an alarm stop ("stopped_by_alarm")
//   spectra/<repr>_epoch<NNN>.csv        `k,sigma`: spectra overlaid on a log axis
//   embeddings/test_pca_epoch<NNN>.csv   `x,y,label`: the newest one, coloured by class
//   neighbours/test_knn_epoch<NNN>.json  the newest nearest-neighbour grid (neighbours.h)
//   baselines.json           raw-pixel / untrained accuracies for the verdict (verdict.h)
//   preview.html             linked when present (preview.h)
// The first screen is the verdict: alarms and final accuracy against the baselines.
// Missing pieces are reported as such in the page; nothing is required but the folder.
#include <filesystem>
#include <string>

namespace ssl::host::report {

// True when `dir` holds metrics.jsonl or pipeline.resolved.toml.
bool is_run_folder(const std::filesystem::path& dir);

// The page as a string.
std::string render_report(const std::filesystem::path& run_dir);

// Writes <run_dir>/report.html atomically and returns its path.
std::filesystem::path write_report(const std::filesystem::path& run_dir);

// write_report for the trainer: a failure is logged as a warning, never thrown.
void refresh_report(const std::filesystem::path& run_dir) noexcept;

}  // namespace ssl::host::report
