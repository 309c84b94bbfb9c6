#include "run_folder.h"

#include <fmt/core.h>

#include <algorithm>
#include <fstream>
#include <iterator>
#include <sstream>
#include <string_view>

#include "checkpoint.h"
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

TrainOutcome train_in_folder(const Registry& registry, const Pipeline& p, const fs::path& dir, RunStart start,
                             const TrainOptions& options) {
  Runtime rt = build_runtime(p, registry, dir);
  std::error_code ec;
  if (start == RunStart::Overwrite) {
    for (const char* name : {"checkpoints", "spectra", "embeddings"}) fs::remove_all(dir / name, ec);
    for (const char* name : {"metrics.jsonl", "backbone.pt", "report.html"}) fs::remove(dir / name, ec);
  }
  fs::create_directories(dir, ec);
  if (ec) throw sdk::Error("cannot create the run folder " + dir.string() + ": " + ec.message());
  const std::string resolved = to_toml(p);
  if (start == RunStart::Resume) {
    const std::string before = resolved_pipeline_of(dir);
    if (!before.empty() && before != resolved)
      fmt::print(stderr, "warning: the pipeline differs from the one this run started with; continuing with the new one\n");
  }
  write_file_atomic(dir / "pipeline.resolved.toml", std::vector<char>(resolved.begin(), resolved.end()));
  fmt::print("run {}: method {}, backbone {}, {} training images, device {}\n", p.name(), p.method.type(),
             p.backbone.type(), rt.train->size(), rt.device.str());
  TrainOptions topt = options;
  topt.resume = start == RunStart::Resume;
  return train(rt, topt);
}

}  // namespace ssl::host
