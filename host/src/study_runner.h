#pragma once
// `ssl-host run STUDY`: validates every arm, trains the ones not up to date one after the other
// (resuming interrupted ones), then writes the study page (study.h describes the file).
#include <string>
#include <vector>

#include "registry.h"
#include "run_request.h"
#include "study.h"

namespace ssl::host {

// `overrides` (--set) apply to every arm after the arm's own `set`. The request: output is the
// study folder; Overwrite retrains arms whose folder holds a different pipeline; Resume and
// stop_at_step are refused (a study resumes its interrupted arms by itself).
int run_study(const Registry& registry, const Study& study, const std::vector<std::string>& overrides,
              const RunRequest& run);

// `ssl-host validate STUDY`: resolves every arm and prints what a run would do with each
// (train, resume, retrain, up to date); throws every problem at once.
int validate_study(const Registry& registry, const Study& study, const std::vector<std::string>& overrides,
                   const std::string& output);

}  // namespace ssl::host
