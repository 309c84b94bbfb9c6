#include "study_runner.h"

#include <fmt/core.h>

#include <algorithm>
#include <optional>
#include <set>

#include "diagnostics.h"
#include "pipeline.h"
#include "report/study_report.h"
#include "run_folder.h"
#include "run_lock.h"
#include "trainer.h"

namespace ssl::host {

namespace fs = std::filesystem;

namespace {

enum class ArmAction { Train, Resume, Retrain, UpToDate };

struct ArmPlan {
  const StudyArm* arm = nullptr;
  std::optional<Pipeline> pipeline;
  fs::path dir;
  ArmAction action = ArmAction::Train;
};

const char* action_text(ArmAction a) {
  switch (a) {
    case ArmAction::Train: return "train";
    case ArmAction::Resume: return "resume";
    case ArmAction::Retrain: return "retrain";
    case ArmAction::UpToDate: return "up to date";
  }
  return "?";
}

// Resolves every arm and decides what to do with its folder; throws every problem at once.
std::vector<ArmPlan> plan_arms(const Registry& registry, const Study& study, const std::vector<std::string>& overrides,
                               const fs::path& study_dir, bool overwrite) {
  const fs::path runs_root = study_dir.has_parent_path() ? study_dir.parent_path() : fs::path(".");
  std::vector<Diagnostic> errors;
  std::vector<ArmPlan> plans;
  std::set<fs::path> dirs;
  for (const auto& arm : study.arms) {
    ArmPlan plan;
    plan.arm = &arm;
    // The run's name is its folder below the runs folder: arms of two studies sharing a folder
    // resolve identically, name included.
    const fs::path rel = arm.output.empty() ? study_dir.filename() / arm.name : fs::path(arm.output);
    plan.dir = (runs_root / rel).lexically_normal();
    if (!dirs.insert(plan.dir).second) {
      errors.push_back({arm.pos, "arm '" + arm.name + "': its run folder " + plan.dir.string() +
                                     " is another arm's (give it its own output)"});
      continue;
    }
    std::vector<std::string> sets = arm.set;
    sets.insert(sets.end(), overrides.begin(), overrides.end());
    sets.push_back("name=" + rel.generic_string());
    try {
      plan.pipeline = load_pipeline(registry, arm.pipeline, sets);
    } catch (const ConfigError& e) {
      for (const auto& d : e.diagnostics())
        errors.push_back({arm.pos, "arm '" + arm.name + "': " + d.str()});
      continue;
    }
    if (holds_run(plan.dir)) {
      const bool same = same_experiment(recorded_pipeline(registry, plan.dir), to_toml(*plan.pipeline));
      if (!same && !overwrite) {
        errors.push_back({arm.pos, "arm '" + arm.name + "': " + plan.dir.string() +
                                       " holds a run of a different pipeline; retrain it with --overwrite, or give "
                                       "the arm another output folder"});
        continue;
      }
      if (!same) plan.action = ArmAction::Retrain;
      else if (run_ended(plan.dir)) plan.action = ArmAction::UpToDate;
      else if (inspect_run_folder(plan.dir).has_checkpoint) plan.action = ArmAction::Resume;
      else plan.action = ArmAction::Retrain;  // started, nothing saved yet
    }
    plans.push_back(std::move(plan));
  }
  if (!errors.empty()) throw ConfigError(errors);
  return plans;
}

fs::path study_folder(const Study& study, const std::string& output) {
  fs::path dir = (output.empty() ? fs::path("runs") / study.name : fs::path(output)).lexically_normal();
  if (dir.filename().empty()) dir = dir.parent_path();  // "runs/x/" -> "runs/x"
  if (dir.empty() || dir == ".") throw UsageError("--output: a study needs a folder of its own");
  return dir;
}

void print_plan(const Study& study, const std::vector<ArmPlan>& plans) {
  fmt::print("study {}: {} arm(s)\n", study.name, plans.size());
  size_t width = 0;
  for (const auto& p : plans) width = std::max(width, p.arm->name.size());
  for (const auto& p : plans)
    fmt::print("  {:<{}} {:<11} {}\n", p.arm->name, width, action_text(p.action), p.dir.string());
}

}  // namespace

int validate_study(const Registry& registry, const Study& study, const std::vector<std::string>& overrides,
                   const std::string& output) {
  print_plan(study, plan_arms(registry, study, overrides, study_folder(study, output), false));
  return kExitOk;
}

int run_study(const Registry& registry, const Study& study, const std::vector<std::string>& overrides,
              const RunRequest& run) {
  if (run.resume()) throw UsageError("--resume: a study continues its interrupted arms by itself; run it again");
  if (run.stop_at_step > 0) throw UsageError("--stop-at-step applies to a single pipeline, not to a study");
  const fs::path study_dir = study_folder(study, run.output);
  const RunFolderLock study_lock(study_dir);  // one process per study folder; each arm locks its own below
  const std::vector<ArmPlan> plans =
      plan_arms(registry, study, overrides, study_dir, run.start == RunRequest::Start::Overwrite);
  print_plan(study, plans);

  report::StudyPage page{study.name, study.description, study.columns, study.against, {}};
  std::vector<report::StudyArmRef>& refs = page.arms;
  for (const auto& p : plans) refs.push_back({p.arm->name, p.dir, "", p.arm->compare_to});
  bool interrupted = false;
  size_t failed = 0;
  for (size_t i = 0; i < plans.size() && !interrupted; ++i) {
    const ArmPlan& p = plans[i];
    if (p.action == ArmAction::UpToDate) continue;
    fmt::print("\n== arm {}/{}: {} ({}) ==\n", i + 1, plans.size(), p.arm->name, action_text(p.action));
    RunRequest arm;
    arm.output = p.dir.string();
    arm.start = p.action == ArmAction::Resume    ? RunRequest::Start::Resume
                : p.action == ArmAction::Retrain ? RunRequest::Start::Overwrite
                                                 : RunRequest::Start::New;
    arm.stop_requested = run.stop_requested;
    try {
      const RunFolderLock arm_lock(p.dir);
      interrupted = train_in_folder(registry, *p.pipeline, p.dir, arm) == TrainOutcome::Interrupted;
    } catch (const std::exception& e) {
      // One arm failing (a NaN loss, a full disk) does not cost the others their runs.
      ++failed;
      refs[i].error = error_message(e);
      fmt::print(stderr, "error: arm '{}' failed: {}\n", p.arm->name, refs[i].error);
    }
    report::write_study(study_dir, page);  // the page follows the study
  }
  const fs::path page_file = report::write_study(study_dir, page);
  fmt::print("\n{}", report::study_table_text(study_dir));
  fmt::print("study page: {}\n", page_file.string());
  if (interrupted) {
    fmt::print("interrupted: run the same command again to continue\n");
    return kExitInterrupted;
  }
  if (failed > 0) {
    fmt::print(stderr, "error: {} of {} arm(s) failed (see above and the study page)\n", failed, plans.size());
    return kExitRuntime;
  }
  return kExitOk;
}

}  // namespace ssl::host
