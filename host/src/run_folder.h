#pragma once
// A run folder (runs/<name>/): pipeline.resolved.toml, metrics.jsonl, checkpoints/,
// backbone.pt, report.html and what the evaluators write (spectra/, embeddings/).
#include <filesystem>
#include <string>
#include <vector>

#include "pipeline.h"
#include "registry.h"
#include "run_request.h"
#include "trainer.h"

namespace ssl::host {

// True when `dir` holds a run (metrics or checkpoints).
bool holds_run(const std::filesystem::path& dir);

// What a run folder holds, for deciding how a run starts there.
struct RunFolderState {
  bool holds_run = false;       // metrics.jsonl or checkpoints/
  bool has_checkpoint = false;  // a checkpoint to resume from
  bool ended = false;           // run_ended(): finished, or stopped by an alarm
};
RunFolderState inspect_run_folder(const std::filesystem::path& dir);

// How a run requested with `requested` starts in folder `dir`:
//   New in an empty folder: New; in a folder whose run has a checkpoint or ended: a UsageError
//     (--resume, --overwrite or --output); in a folder whose run stopped before its first
//     checkpoint (a failure at the first steps): Overwrite, that run starts again;
//   Resume with a checkpoint: Resume; without one: a fresh start (Overwrite or New);
//   Overwrite: Overwrite when there is a run, else New.
// `note` receives the console line for the two fresh starts the user did not spell out.
RunRequest::Start plan_start(RunRequest::Start requested, const RunFolderState& state, const std::filesystem::path& dir,
                             std::string& note);

// The pipeline.resolved.toml of the folder ("" when missing).
std::string resolved_pipeline_of(const std::filesystem::path& dir);
// The recorded pipeline as this ssl-host resolves it, for comparing with a requested one: keys
// added to ssl-host or a plugin since the run was recorded get their defaults (a new key's
// default keeps the old behaviour), so upgrading does not make a finished run look like a
// different experiment. A record this version cannot resolve (a key since removed, a plugin
// not loaded) is returned as recorded. Empty when the folder has no record.
std::string recorded_pipeline(const Registry& registry, const std::filesystem::path& dir);

// True when two resolved pipelines describe the same experiment: equal but for the keys that
// only change how a run is shown (the top-level `name` and `description`, `trainer.progress`): a reworded
// description or another console mode does not make a finished run stale.
bool same_experiment(const std::string& resolved_a, const std::string& resolved_b);

// For a --resume, compared key by key with the recorded pipeline: "path: before -> after" for
// each key that changes what the run is (refused: the seed, the data, the views, the backbone,
// the method), and for each key a resume may change (the run's length, the optimizer, the
// schedule, recording, alarms, evaluators, threads and loader resources; the recorded
// pipeline of the steps before is kept as pipeline.before_step_<N>.toml).
struct ResumeDiff {
  std::vector<std::string> conflicts;  // refused
  std::vector<std::string> changes;    // allowed, printed and recorded
};
ResumeDiff resume_diff(const std::string& recorded, const std::string& requested);

// True when the run in `dir` ended: it finished (its summary record) or an alarm stopped it.
bool run_ended(const std::filesystem::path& dir);

// Builds the pipeline's runtime and trains it in `dir` as `request.start` says, already
// decided by plan_start: New expects no run there; Resume continues the newest intact
// checkpoint (a damaged newer one is set aside with a warning) and refuses a pipeline with
// resume_diff conflicts or a checkpoint that does not fit the model; Overwrite first removes the
// previous run's checkpoints, metrics and backbone. Nothing in the folder changes before the
// run is known to start. The caller holds the folder's RunFolderLock. A non-finite loss is
// reported with what the folder keeps: its last checkpoint, or none.
// With a multi-process `comm`, rank 0 alone changes the folder (and holds the lock); the other
// ranks read the checkpoint after rank 0 has (it may set a damaged one aside) and only then.
TrainOutcome train_in_folder(const Registry& registry, const Pipeline& pipeline, const std::filesystem::path& dir,
                             const RunRequest& request, std::shared_ptr<sdk::Comm> comm = nullptr);

}  // namespace ssl::host
