#pragma once
// The ssl-host verbs. Each returns an exit code or throws a host error (see diagnostics.h).
#include <optional>
#include <string>
#include <vector>

#include "run_request.h"

namespace ssl::host {

struct CommonOptions {
  std::vector<std::string> plugin_paths;
};

struct PipelineOptions {
  std::string file;
  std::vector<std::string> overrides;  // KEY=VALUE
};

int cmd_list(const CommonOptions& common, const std::optional<std::string>& kind);
// `describe`: one component (KIND/NAME), the host's sections ('pipeline'), as text tables or
// Markdown; with --markdown and no component, the whole reference (docs/components.md).
struct DescribeOptions {
  std::string what;    // KIND/NAME, "pipeline", or "" (only with markdown)
  bool markdown = false;
  std::string output;  // file for the Markdown (default: stdout)
};
int cmd_describe(const CommonOptions& common, const DescribeOptions& describe);
int cmd_validate(const CommonOptions& common, const PipelineOptions& pipeline);

// `run`: one pipeline, or every arm of a study (study_runner.h).
int cmd_run(const CommonOptions& common, const PipelineOptions& pipeline, const RunRequest& run);

struct EvalOptions {
  std::string checkpoint;
  std::string output;
};
int cmd_eval(const CommonOptions& common, const PipelineOptions& pipeline, const EvalOptions& eval);

// `embed`: features of one split under a checkpoint's model, for Python and other tools:
// OUTPUT (.npy, [N, D] float32), OUTPUT's stem + .labels.npy / .indices.npy ([N] int64: the
// label, -1 unlabelled; the sample's row in the dataset) and + .pca.csv (x,y,label).
struct EmbedOptions {
  std::string checkpoint;
  std::string split = "test";
  std::string representation = "backbone";  // or "embedding" (the method's projector output)
  std::string output;
};
int cmd_embed(const CommonOptions& common, const PipelineOptions& pipeline, const EmbedOptions& embed);

// `preview`: preview.html of the pipeline's augmentations (report/preview.h), no training.
struct PreviewOptions {
  int64_t images = 8;
  std::string output;  // default: <pipeline name>_preview.html
};
int cmd_preview(const CommonOptions& common, const PipelineOptions& pipeline, const PreviewOptions& preview);

// `ssl-host new KIND NAME [DIR]`: writes a plugin project (scaffold/scaffold.h); prints what to do next.
int cmd_new(const std::string& kind, const std::string& name, const std::string& dir);

// Writes RUN_DIR/report.html from the run folder's files; prints its path.
int cmd_report(const std::string& run_dir);

}  // namespace ssl::host
