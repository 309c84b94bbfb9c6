#include "dist/rank_run.h"

#include <fmt/core.h>

#include <optional>
#include <string>

#include "config_tree.h"
#include "diagnostics.h"
#include "dist/process_group.h"
#include "dist/run_consistency.h"
#include "run_folder.h"
#include "run_lock.h"
#include "ssl/sdk/error.h"

namespace ssl::host {

namespace {
constexpr const char* kRefused = "refused: ";

std::string start_name(RunRequest::Start s) {
  switch (s) {
    case RunRequest::Start::New: return "new";
    case RunRequest::Start::Resume: return "resume";
    case RunRequest::Start::Overwrite: return "overwrite";
  }
  return "new";
}

RunRequest::Start start_of(const std::string& name) {
  if (name == "resume") return RunRequest::Start::Resume;
  if (name == "overwrite") return RunRequest::Start::Overwrite;
  return RunRequest::Start::New;
}
}  // namespace

TrainOutcome train_as_rank(const Registry& registry, const Pipeline& p, const std::filesystem::path& run_dir,
                           const RunRequest& run, const DistEnv& env) {
  const std::shared_ptr<ProcessGroupComm> comm = connect_process_group(env);
  check_same_run(*comm, "resolved pipeline", to_toml(p));
  check_same_run(*comm, "plugins", plugin_identity(registry));
  check_same_run(*comm, "run folder", run_dir.lexically_normal().string());

  // Rank 0 holds the folder's lock and decides how the run starts; the others follow it.
  std::optional<RunFolderLock> lock;
  std::string decision;
  if (env.rank == 0) {
    try {
      lock.emplace(run_dir);
      std::string note;
      decision = start_name(plan_start(run.start, inspect_run_folder(run_dir), run_dir, note));
      if (!note.empty()) fmt::print("{}\n", note);
    } catch (const std::exception& e) {
      decision = std::string(kRefused) + e.what();
    }
  }
  decision = comm->exchange_text("start", decision).front();
  if (decision.rfind(kRefused, 0) == 0) {
    if (env.rank == 0) throw UsageError(decision.substr(std::string(kRefused).size()));
    SSL_FAIL("distributed run, ", env.where(), ": rank 0 refused to start the run (its message says why)");
  }
  RunRequest request = run;
  request.start = start_of(decision);
  return train_in_folder(registry, p, run_dir, request, comm);
}

}  // namespace ssl::host
