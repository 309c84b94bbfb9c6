#include "run_folder.h"

#include <fmt/core.h>

#include <algorithm>
#include <fstream>
#include <iterator>
#include <map>
#include <optional>
#include <sstream>
#include <string_view>

#include "atomic_file.h"
#include "checkpoint.h"
#include "diagnostics.h"
#include "report/run_data.h"
#include "runtime.h"
#include "ssl/sdk/error.h"
#include "ssl/sdk/log.h"

namespace ssl::host {

namespace fs = std::filesystem;

bool holds_run(const fs::path& dir) {
  std::error_code ec;
  return fs::exists(dir / "metrics.jsonl", ec) || fs::exists(dir / "checkpoints", ec);
}

std::string resolved_pipeline_of(const fs::path& dir) {
  std::ifstream in(dir / "pipeline.resolved.toml");
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

namespace {
// Keys that change how a run is shown, not what it trains, as dotted paths.
constexpr std::string_view kPresentationKeys[] = {"name", "description", "trainer.progress"};

// What a --resume may change besides those: how the run goes on (its length, the optimizer and
// the learning-rate schedule), how it is recorded and watched, and the resources it uses. The
// seed, the data, the views, the backbone and the method are what the run *is*. Entries ending
// in '.' or '[' are prefixes.
constexpr std::string_view kResumableKeys[] = {
    "trainer.epochs", "trainer.max_steps", "trainer.log_every", "trainer.checkpoint_every", "trainer.keep_checkpoints",
    "threads",        "data.workers",      "data.prefetch",     "data.eval_batch_size",     "optimizer.",
    "schedule.",      "alarms.",           "evaluators["};

bool listed(std::string_view path, const std::string_view* begin, const std::string_view* end) {
  return std::any_of(begin, end, [path](std::string_view k) {
    const bool prefix = k.back() == '.' || k.back() == '[';
    return prefix ? path.substr(0, k.size()) == k : path == k;
  });
}
bool presentation(std::string_view path) {
  return listed(path, std::begin(kPresentationKeys), std::end(kPresentationKeys));
}
bool resumable(std::string_view path) {
  return presentation(path) || listed(path, std::begin(kResumableKeys), std::end(kResumableKeys));
}

// The resolved pipeline (to_toml: one "key = value" line per key under "[table]" or
// "[[table]]" headers) as dotted path -> value; array tables are numbered from 1 in file
// order ("evaluators[2].k"). Comments and blank lines carry nothing.
std::map<std::string, std::string> resolved_entries(const std::string& toml) {
  std::istringstream in(toml);
  std::map<std::string, std::string> out;
  std::map<std::string, int> array_count;
  std::string table, line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    if (line[0] == '[') {
      const bool array = line.rfind("[[", 0) == 0;
      table = line.substr(array ? 2 : 1, line.find(']') - (array ? 2 : 1));
      if (array) table += "[" + std::to_string(++array_count[table]) + "]";
      continue;
    }
    const size_t eq = line.find(" = ");
    if (eq == std::string::npos) continue;
    out[(table.empty() ? "" : table + ".") + line.substr(0, eq)] = line.substr(eq + 3);
  }
  return out;
}

// "path: before -> after" for every key that differs and `counts(path)` says matters.
template <typename Pred>
std::vector<std::string> differences(const std::string& a, const std::string& b, Pred counts) {
  const auto ea = resolved_entries(a), eb = resolved_entries(b);
  std::map<std::string, std::pair<std::string, std::string>> all;
  for (const auto& [k, v] : ea) all[k].first = v;
  for (const auto& [k, v] : eb) all[k].second = v;
  std::vector<std::string> out;
  for (const auto& [k, v] : all) {
    if (v.first == v.second || !counts(k)) continue;
    out.push_back(k + ": " + (ea.count(k) ? v.first : "(none)") + " -> " + (eb.count(k) ? v.second : "(none)"));
  }
  return out;
}
}  // namespace

bool same_experiment(const std::string& a, const std::string& b) {
  return differences(a, b, [](const std::string& k) { return !presentation(k); }).empty();
}

std::vector<std::string> resume_conflicts(const std::string& recorded, const std::string& requested) {
  return differences(recorded, requested, [](const std::string& k) { return !resumable(k); });
}

std::vector<std::string> resume_changes(const std::string& recorded, const std::string& requested) {
  return differences(recorded, requested, [](const std::string& k) { return resumable(k) && !presentation(k); });
}

bool run_ended(const fs::path& dir) {
  const report::RunData d = report::read_run(dir);
  return d.summary.has_value() || !d.stopped_by.empty();
}

RunFolderState inspect_run_folder(const fs::path& dir) {
  RunFolderState s;
  s.holds_run = holds_run(dir);
  if (!s.holds_run) return s;
  s.has_checkpoint = !CheckpointDir(dir / "checkpoints").latest().empty();
  s.ended = run_ended(dir);
  return s;
}

RunRequest::Start plan_start(RunRequest::Start requested, const RunFolderState& state, const fs::path& dir,
                             std::string& note) {
  using Start = RunRequest::Start;
  const Start fresh = state.holds_run ? Start::Overwrite : Start::New;
  switch (requested) {
    case Start::Overwrite: return fresh;
    case Start::Resume:
      if (state.has_checkpoint) return Start::Resume;
      note = fmt::format("--resume: {} has no checkpoint yet; starting the run from scratch", dir.string());
      return fresh;
    case Start::New: break;
  }
  if (!state.holds_run) return Start::New;
  if (state.has_checkpoint || state.ended) {
    throw UsageError(dir.string() +
                     " already holds a run: continue it with --resume, replace it with --overwrite, "
                     "or pick another folder with --output");
  }
  note = fmt::format("{} holds a run that stopped before its first checkpoint; starting it again", dir.string());
  return Start::Overwrite;
}

namespace {
// The note a non-finite loss gets: what the folder still holds.
std::string checkpoint_note(const fs::path& dir) {
  const fs::path latest = CheckpointDir(dir / "checkpoints").latest();
  if (latest.empty()) return "; no checkpoint was saved yet: running the same command again starts the run over";
  return "; the last checkpoint (" + latest.string() + ") is intact: --resume continues from it";
}
}  // namespace

namespace {
// For --resume: refuses a pipeline that changes what the run is, then loads the newest intact
// checkpoint into the method (refusing one that does not fit the model). Nothing is written
// to the folder before this succeeds.
Checkpoint checkpoint_to_resume(const Runtime& rt, const fs::path& dir, const std::string& resolved) {
  const std::string recorded = resolved_pipeline_of(dir);
  if (!recorded.empty()) {
    const auto conflicts = resume_conflicts(recorded, resolved);
    if (!conflicts.empty()) {
      std::string msg = "--resume: the pipeline changes what the run in " + dir.string() + " trains:";
      for (size_t i = 0; i < std::min<size_t>(conflicts.size(), 8); ++i) msg += "\n  " + conflicts[i];
      if (conflicts.size() > 8) msg += fmt::format("\n  ... and {} more", conflicts.size() - 8);
      throw UsageError(msg +
                       "\na resume may change the run's length, optimizer, schedule, recording, alarms, "
                       "evaluators and threads, not what it trains; start a new run with --overwrite or --output");
    }
  }
  CheckpointDir::Intact found = CheckpointDir(dir / "checkpoints").load_newest_intact();
  for (const auto& d : found.damaged)
    sdk::log_warning(d.why + "; renamed to " + d.path.filename().string() + ".damaged, resuming from the older " +
                     found.path.filename().string());
  load_module_state(*rt.method, found.checkpoint.model, found.path.string());
  return std::move(found.checkpoint);
}

// A resume that changes keys keeps the record of what the steps before it ran with:
// pipeline.before_step_<N>.toml is the pipeline of steps 1..N.
void record_resume_changes(const fs::path& dir, const std::string& resolved, int64_t step) {
  const std::string recorded = resolved_pipeline_of(dir);
  if (recorded.empty()) return;
  const auto changes = resume_changes(recorded, resolved);
  if (changes.empty()) return;
  const fs::path before = dir / fmt::format("pipeline.before_step_{}.toml", step);
  write_file_atomic(before, std::vector<char>(recorded.begin(), recorded.end()));
  for (const auto& change : changes) fmt::print("resume: {}\n", change);
  fmt::print("resume: the pipeline of steps 1..{} is kept in {}\n", step, before.string());
}
}  // namespace

TrainOutcome train_in_folder(const Registry& registry, const Pipeline& p, const fs::path& dir,
                             const RunRequest& request) {
  using Start = RunRequest::Start;
  Runtime rt = build_runtime(p, registry, dir);
  const std::string resolved = to_toml(p);
  std::optional<Checkpoint> resume;
  if (request.start == Start::Resume) resume = checkpoint_to_resume(rt, dir, resolved);
  // The run is known to start: from here on the folder changes.
  if (resume) record_resume_changes(dir, resolved, resume->position.step);
  std::error_code ec;
  if (request.start == Start::Overwrite) {
    for (const char* name : {"checkpoints", "spectra", "embeddings"}) fs::remove_all(dir / name, ec);
    for (const char* name : {"metrics.jsonl", "backbone.pt", "report.html"}) fs::remove(dir / name, ec);
  }
  fs::create_directories(dir, ec);
  if (ec) throw sdk::Error("cannot create the run folder " + dir.string() + ": " + ec.message());
  write_file_atomic(dir / "pipeline.resolved.toml", std::vector<char>(resolved.begin(), resolved.end()));
  fmt::print("run {}: method {}, backbone {}, {} training images, device {}\n", p.name(), p.method.type(),
             p.backbone.type(), rt.train->size(), rt.device.str());
  try {
    return train(rt, request, {}, resume ? &*resume : nullptr);
  } catch (const NonFiniteLoss& e) {
    throw NonFiniteLoss(e.what() + checkpoint_note(dir));
  }
}

}  // namespace ssl::host
