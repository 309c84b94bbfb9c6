#include "run_folder.h"

#include <ATen/Parallel.h>
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
#include "report/preview.h"
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

std::string recorded_pipeline(const Registry& registry, const fs::path& dir) {
  std::string text = resolved_pipeline_of(dir);
  if (text.empty()) return text;
  try {
    return to_toml(load_pipeline(registry, dir / "pipeline.resolved.toml", {}));
  } catch (const std::exception&) {
    return text;
  }
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

// Every key whose value differs between two resolved pipelines: its path and
// "path: before -> after".
std::vector<std::pair<std::string, std::string>> differing_keys(const std::string& a, const std::string& b) {
  const auto ea = resolved_entries(a), eb = resolved_entries(b);
  std::map<std::string, std::pair<std::string, std::string>> all;
  for (const auto& [k, v] : ea) all[k].first = v;
  for (const auto& [k, v] : eb) all[k].second = v;
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& [k, v] : all) {
    if (v.first == v.second) continue;
    out.emplace_back(k, k + ": " + (ea.count(k) ? v.first : "(none)") + " -> " + (eb.count(k) ? v.second : "(none)"));
  }
  return out;
}
}  // namespace

bool same_experiment(const std::string& a, const std::string& b) {
  const auto diffs = differing_keys(a, b);
  return std::all_of(diffs.begin(), diffs.end(), [](const auto& d) { return presentation(d.first); });
}

ResumeDiff resume_diff(const std::string& recorded, const std::string& requested) {
  ResumeDiff out;
  for (auto& [path, text] : differing_keys(recorded, requested)) {
    if (!resumable(path)) out.conflicts.push_back(std::move(text));
    else if (!presentation(path)) out.changes.push_back(std::move(text));
  }
  return out;
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
constexpr int64_t kRunPreviewImages = 8;  // preview.html at the start of a run

// The note a non-finite loss gets: what the folder still holds.
std::string checkpoint_note(const fs::path& dir) {
  const fs::path latest = CheckpointDir(dir / "checkpoints").latest();
  if (latest.empty()) return "; no checkpoint was saved yet: running the same command again starts the run over";
  return "; the last checkpoint (" + latest.string() + ") is intact: --resume continues from it";
}
}  // namespace

namespace {
// What a --resume continues: the checkpoint, and the keys it changes with the pipeline they
// change (the recorded one).
struct Resume {
  Checkpoint checkpoint;
  std::string recorded;              // pipeline.resolved.toml as the run left it
  std::vector<std::string> changes;  // resume_diff(...).changes
};

// Refuses a pipeline that changes what the run is, then loads the newest intact checkpoint
// into the method (refusing one that does not fit the model). Writes nothing to the folder
// (but for setting damaged checkpoints aside).
Resume prepare_resume(const Registry& registry, const Runtime& rt, const fs::path& dir, const std::string& resolved) {
  Resume r;
  r.recorded = resolved_pipeline_of(dir);
  if (!r.recorded.empty()) {
    ResumeDiff diff = resume_diff(recorded_pipeline(registry, dir), resolved);
    if (!diff.conflicts.empty()) {
      std::string msg = "--resume: the pipeline changes what the run in " + dir.string() + " trains:";
      for (size_t i = 0; i < std::min<size_t>(diff.conflicts.size(), 8); ++i) msg += "\n  " + diff.conflicts[i];
      if (diff.conflicts.size() > 8) msg += fmt::format("\n  ... and {} more", diff.conflicts.size() - 8);
      throw UsageError(msg +
                       "\na resume may change the run's length, optimizer, schedule, recording, alarms, "
                       "evaluators and threads, not what it trains; start a new run with --overwrite or --output");
    }
    r.changes = std::move(diff.changes);
  }
  CheckpointDir::Intact found = CheckpointDir(dir / "checkpoints").load_newest_intact();
  for (const auto& d : found.damaged)
    sdk::log_warning(d.why + "; renamed to " + d.path.filename().string() + ".damaged, resuming from the older " +
                     found.path.filename().string());
  load_module_state(*rt.method, found.checkpoint.model, found.path.string());
  r.checkpoint = std::move(found.checkpoint);
  return r;
}

// A resume that changes keys keeps the record of what the steps before it ran with:
// pipeline.before_step_<N>.toml is the pipeline of steps 1..N.
void record_resume_changes(const fs::path& dir, const Resume& r) {
  if (r.changes.empty()) return;
  const int64_t step = r.checkpoint.position.step;
  const fs::path before = dir / fmt::format("pipeline.before_step_{}.toml", step);
  write_file_atomic(before, std::vector<char>(r.recorded.begin(), r.recorded.end()));
  for (const auto& change : r.changes) fmt::print("resume: {}\n", change);
  fmt::print("resume: the pipeline of steps 1..{} is kept in {}\n", step, before.string());
}
}  // namespace

TrainOutcome train_in_folder(const Registry& registry, const Pipeline& p, const fs::path& dir,
                             const RunRequest& request, std::shared_ptr<sdk::Comm> comm) {
  using Start = RunRequest::Start;
  Runtime rt = build_runtime(p, registry, dir, std::move(comm));
  const bool writer = rt.comm->rank() == 0, distributed = rt.comm->world_size() > 1;
  const std::string resolved = to_toml(p);
  std::optional<Resume> resume;
  if (request.start == Start::Resume) {
    if (distributed && !writer) rt.comm->barrier();  // rank 0 has read (and sorted out) the checkpoints
    resume = prepare_resume(registry, rt, dir, resolved);
    if (distributed && writer) rt.comm->barrier();
  }
  // The run is known to start: from here on the folder changes.
  if (writer) {
    if (resume) record_resume_changes(dir, *resume);
    std::error_code ec;
    if (request.start == Start::Overwrite) {
      for (const char* name : {"checkpoints", "spectra", "embeddings", "neighbours"}) fs::remove_all(dir / name, ec);
      for (const char* name : {"metrics.jsonl", "backbone.pt", "report.html", "preview.html"}) fs::remove(dir / name, ec);
    }
    fs::create_directories(dir, ec);
    if (ec) throw sdk::Error("cannot create the run folder " + dir.string() + ": " + ec.message());
    write_file_atomic(dir / "pipeline.resolved.toml", std::vector<char>(resolved.begin(), resolved.end()));
  }
  if (writer) {
    try {
      report::write_preview(rt, kRunPreviewImages, dir / "preview.html");
    } catch (const std::exception& e) {
      sdk::log_warning(std::string("preview.html not written: ") + error_message(e));
    }
  }
  const std::string images = rt.target ? fmt::format("{} source and {} target images", rt.train->size(), rt.target->size())
                                       : fmt::format("{} training images", rt.train->size());
  if (writer)
    fmt::print("run {}: method {}, backbone {}, {}, device {}, {} threads ({})\n", p.name(), p.method.type(),
               p.backbone.type(), images, rt.device.str(), at::get_num_threads(), openmp_wait_setting());
  if (writer && distributed) {
    const int64_t global = p.data.get_int("batch_size");
    fmt::print("distributed: {} processes (Gloo), global batch {} = {} x {} per process\n", rt.comm->world_size(),
               global, rt.comm->world_size(), global / rt.comm->world_size());
  }
  // A long-tailed training split (the largest class at least 1.5x the smallest one it has):
  // how many images each class has.
  const std::vector<int64_t> counts = rt.train->class_counts();
  int64_t fewest = 0, most = 0;
  for (const int64_t n : counts)
    if (n > 0) {
      fewest = fewest == 0 ? n : std::min(fewest, n);
      most = std::max(most, n);
    }
  if (writer && fewest > 0 && 2 * most >= 3 * fewest) {
    std::string text;
    for (const int64_t n : counts) text += (text.empty() ? "" : " ") + std::to_string(n);
    fmt::print("training images per class (label 0 first): {}\n", text);
  }
  try {
    return train(rt, request, {}, resume ? &resume->checkpoint : nullptr);
  } catch (const NonFiniteLoss& e) {
    throw NonFiniteLoss(e.what() + checkpoint_note(dir));
  }
}

}  // namespace ssl::host
