#pragma once
// The validated, resolved pipeline: every section with its defaults filled in, every
// component resolved to a registry entry. Built only after the whole document validated.
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "config_tree.h"
#include "registry.h"
#include "ssl/sdk/config.h"
#include "ssl/sdk/schema.h"
#include "ssl/sdk/types.h"

namespace ssl::host {

struct ComponentConfig {
  const ComponentEntry* entry = nullptr;
  std::string role;    // "data.train", "views.0.ops.1", "method", ...
  sdk::Config config;  // the component's own keys
  sdk::Config common;  // host-owned keys of its kind (dataset subsetting, evaluator cadence)
  SourcePos pos;
  std::string type() const { return entry ? entry->spec.name : ""; }
};

struct ViewGroup {
  std::string name;
  int64_t count = 1;
  std::vector<ComponentConfig> ops;
  SourcePos pos;
};

struct Pipeline {
  std::filesystem::path file;
  sdk::Config settings, data, optimizer, schedule, trainer;
  sdk::Config alarms;  // [alarms] (alarms.h)
  // The training data: [data.train], or in a two-domain pipeline the labelled source
  // [data.source] (its role says which).
  ComponentConfig train_data;
  // Two-domain pipelines (a method that declares uses_target_domain()): the unlabelled target
  // [data.target], loaded beside the source, and its view groups [[target_views]] (empty: the
  // target goes through `views`). Absent in every other pipeline.
  std::optional<ComponentConfig> target_data;
  std::vector<ViewGroup> target_views;
  SourcePos target_views_pos;
  std::optional<ComponentConfig> test_data;
  // [data.eval_train]: the labelled images evaluators fit on (kNN bank, linear probe, the
  // collapse evaluator's "train" split); absent: train_data.
  std::optional<ComponentConfig> eval_train_data;
  std::vector<ViewGroup> views;
  std::vector<ComponentConfig> eval_ops;
  ComponentConfig backbone, method;
  std::vector<ComponentConfig> evaluators;
  SourcePos views_pos;

  std::string name() const;                 // settings.name or the file's stem
  std::filesystem::path base_dir() const;   // folder of the pipeline file
  int64_t total_views() const;
  bool two_domains() const { return target_data.has_value(); }
  // The groups the target domain goes through: target_views, else views.
  const std::vector<ViewGroup>& target_view_groups() const { return target_views.empty() ? views : target_views; }
};

// Checks the value keys of `table` against `schema` (unknown keys with a did-you-mean, types,
// constraints, required keys), appending every problem to `errors`; `other_keys` are keys the
// caller handles (sub-tables). Returns the values with defaults filled in.
sdk::Config check_section(const Node& table, const sdk::Schema& schema, const std::string& where,
                          std::vector<Diagnostic>& errors, const std::vector<std::string>& other_keys = {});

// Validates the whole document against the host's and the components' schemas and returns
// the resolved pipeline. Throws ConfigError with every problem found, each with its position.
Pipeline resolve_pipeline(const Node& root, const Registry& registry, const std::filesystem::path& file);

// The views the pipeline's method consumes: its registered ViewSpec for its config
// (ComponentSpec::views_for), known without building the method.
sdk::ViewSpec method_views(const Pipeline& pipeline);
// Whether the resolved method declares uses_labels() (a supervised method).
bool method_uses_labels(const Pipeline& pipeline);
// Whether the resolved method declares uses_target_domain() (it trains on two domains).
bool method_uses_target_domain(const Pipeline& pipeline);

// The pipeline's [[views]] groups (and [[target_views]]) against method_views(): the
// problems, at the arrays' positions (none also when the method supplies its own transform).
// The one view-count check: resolve_pipeline runs it, so validate, run and studies report the same.
std::vector<Diagnostic> check_view_count(const Pipeline& pipeline);

// Loads `file` (with its includes), applies the KEY=VALUE overrides in order and resolves it;
// every problem of the overrides and the document is reported at once (ConfigError).
Pipeline load_pipeline(const Registry& registry, const std::filesystem::path& file,
                       const std::vector<std::string>& overrides);
// The same for a document already loaded from `file`.
Pipeline resolve_with_overrides(Node root, const Registry& registry, const std::filesystem::path& file,
                                const std::vector<std::string>& overrides);

// The resolved pipeline as TOML (every key, defaults included): loading it again gives the
// same pipeline.
std::string to_toml(const Pipeline& pipeline);

}  // namespace ssl::host
