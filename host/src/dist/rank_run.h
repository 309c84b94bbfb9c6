#pragma once
// `ssl-host run` as one rank of a multi-process run (started by torchrun or by
// `ssl-host run --nproc N`): joins the process group, checks that every rank runs the same
// pipeline with the same plugins, lets rank 0 alone decide how the run starts and prepare the
// folder, then trains with the gradients averaged over the ranks.
#include <filesystem>

#include "dist/dist_env.h"
#include "pipeline.h"
#include "registry.h"
#include "run_request.h"
#include "trainer.h"

namespace ssl::host {

TrainOutcome train_as_rank(const Registry& registry, const Pipeline& pipeline, const std::filesystem::path& run_dir,
                           const RunRequest& request, const DistEnv& env);

}  // namespace ssl::host
