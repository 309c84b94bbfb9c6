#pragma once
// A run folder (runs/<name>/): pipeline.resolved.toml, metrics.jsonl, checkpoints/,
// backbone.pt, report.html and what the evaluators write (spectra/, embeddings/).
#include <filesystem>
#include <string>

#include "pipeline.h"
#include "registry.h"
#include "trainer.h"

namespace ssl::host {

// True when `dir` holds a run (metrics or checkpoints).
bool holds_run(const std::filesystem::path& dir);

// The pipeline.resolved.toml of the folder ("" when missing).
std::string resolved_pipeline_of(const std::filesystem::path& dir);

// True when two resolved pipelines describe the same experiment: equal but for the keys that
// only change how a run is shown (the top-level `description`, `trainer.progress`): a reworded
// description or another console mode does not make a finished run stale.
bool same_experiment(const std::string& resolved_a, const std::string& resolved_b);

// True when the run in `dir` ended: it finished (its summary record) or an alarm stopped it.
bool run_ended(const std::filesystem::path& dir);

enum class RunStart { Fresh, Resume, Overwrite };

// Builds the pipeline's runtime and trains it in `dir`: Fresh expects no run there, Resume
// continues the last checkpoint (warning when the pipeline changed), Overwrite first removes
// the previous run's checkpoints, metrics and backbone.
TrainOutcome train_in_folder(const Registry& registry, const Pipeline& pipeline, const std::filesystem::path& dir,
                             RunStart start, const TrainOptions& options);

}  // namespace ssl::host
