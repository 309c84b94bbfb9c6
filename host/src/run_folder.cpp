#include "run_folder.h"

#include <fmt/core.h>

#include <algorithm>
#include <fstream>
#include <iterator>
#include <sstream>
#include <string_view>

#include "checkpoint.h"
#include "diagnostics.h"
#include "report/run_data.h"
#include "runtime.h"
#include "ssl/sdk/error.h"

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
constexpr std::string_view kPresentationKeys[] = {"description", "trainer.progress"};

// The resolved pipeline (to_toml) writes one "key = value" line per key under "[table]" or
// "[[table]]" headers: a line's dotted path is its header's name and its key.
std::string without_presentation_keys(const std::string& toml) {
  std::istringstream in(toml);
  std::string out, table, line;
  while (std::getline(in, line)) {
    if (!line.empty() && line[0] == '[') {
      table = line.substr(0, line.find(']'));
      table.erase(0, table.find_first_not_of('['));
    }
    const size_t eq = line.find(" = ");
    const std::string path = eq == std::string::npos ? "" : (table.empty() ? "" : table + ".") + line.substr(0, eq);
    if (std::find(std::begin(kPresentationKeys), std::end(kPresentationKeys), path) == std::end(kPresentationKeys))
      out += line + "\n";
  }
  return out;
}
}  // namespace

bool same_experiment(const std::string& a, const std::string& b) {
  return without_presentation_keys(a) == without_presentation_keys(b);
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

TrainOutcome train_in_folder(const Registry& registry, const Pipeline& p, const fs::path& dir,
                             const RunRequest& request) {
  using Start = RunRequest::Start;
  Runtime rt = build_runtime(p, registry, dir);
  std::error_code ec;
  if (request.start == Start::Overwrite) {
    for (const char* name : {"checkpoints", "spectra", "embeddings"}) fs::remove_all(dir / name, ec);
    for (const char* name : {"metrics.jsonl", "backbone.pt", "report.html"}) fs::remove(dir / name, ec);
  }
  fs::create_directories(dir, ec);
  if (ec) throw sdk::Error("cannot create the run folder " + dir.string() + ": " + ec.message());
  const std::string resolved = to_toml(p);
  if (request.start == Start::Resume) {
    const std::string before = resolved_pipeline_of(dir);
    if (!before.empty() && before != resolved)
      fmt::print(stderr,
                 "warning: the pipeline differs from the one this run started with; continuing with the new one\n");
  }
  write_file_atomic(dir / "pipeline.resolved.toml", std::vector<char>(resolved.begin(), resolved.end()));
  fmt::print("run {}: method {}, backbone {}, {} training images, device {}\n", p.name(), p.method.type(),
             p.backbone.type(), rt.train->size(), rt.device.str());
  try {
    return train(rt, request);
  } catch (const NonFiniteLoss& e) {
    throw NonFiniteLoss(e.what() + checkpoint_note(dir));
  }
}

}  // namespace ssl::host
