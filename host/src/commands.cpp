#include "commands.h"

#include <ATen/ATen.h>
#include <fmt/core.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <utility>

#include "atomic_file.h"
#include "checkpoint.h"
#include "config_tree.h"
#include "diagnostics.h"
#include "dist/dist_env.h"
#include "dist/rank_run.h"
#include "evaluation.h"
#include "host_schema.h"
#include "npy.h"
#include "pipeline.h"
#include "plugin_library.h"
#include "reference_doc.h"
#include "registry.h"
#include "report/embedding_pca.h"
#include "report/preview.h"
#include "report/report.h"
#include "report/study_report.h"
#include "run_folder.h"
#include "run_lock.h"
#include "scaffold/scaffold.h"
#include "runtime.h"
#include "ssl/sdk/error.h"
#include "ssl/sdk/log.h"
#include "study.h"
#include "study_runner.h"
#include "trainer.h"

namespace ssl::host {

namespace fs = std::filesystem;

namespace {

Registry load_registry(const CommonOptions& common) {
  Registry registry;
  for (const auto& file : discover_plugins(common.plugin_paths)) {
    try {
      registry.load_file(file.path);
    } catch (const PluginFileError& e) {
      if (!file.scanned) throw;
      fmt::print(stderr, "warning: skipped a plugin found in a plugin folder: {}\n", e.what());
    }
  }
  return registry;
}

// One pipeline for the verbs that take no study (eval, embed, preview): a study file is refused
// by name rather than by its first unknown key.
Pipeline load_pipeline(const Registry& registry, const PipelineOptions& opt) {
  Node root = load_document(fs::path(opt.file));
  if (is_study(root))
    throw UsageError(opt.file + " is a study ([[arms]]); this verb takes one pipeline: give it an arm's pipeline "
                     "file, with the arm's settings as --set");
  return resolve_with_overrides(std::move(root), registry, fs::path(opt.file), opt.overrides);
}

std::string pad(const std::string& s, size_t width) { return s.size() >= width ? s : s + std::string(width - s.size(), ' '); }

void print_schema_table(const sdk::Schema& schema) {
  size_t wk = 3, wt = 4, wd = 7, wc = 10;
  for (const auto& k : schema.keys()) {
    wk = std::max(wk, k.name.size());
    wt = std::max(wt, std::string(sdk::type_name(k.type)).size());
    wd = std::max(wd, k.required() ? size_t(10) : sdk::format_value(*k.default_value).size());
    wc = std::max(wc, k.constraint_text().size());
  }
  fmt::print("  {}  {}  {}  {}  doc\n", pad("key", wk), pad("type", wt), pad("default", wd), pad("constraint", wc));
  for (const auto& k : schema.keys()) {
    fmt::print("  {}  {}  {}  {}  {}\n", pad(k.name, wk), pad(sdk::type_name(k.type), wt),
               pad(k.required() ? "(required)" : sdk::format_value(*k.default_value), wd), pad(k.constraint_text(), wc),
               k.doc);
  }
}

void set_console_log_sink() {
  sdk::set_log_sink([](sdk::LogLevel level, const std::string& msg) {
    if (level == sdk::LogLevel::Warning) fmt::print(stderr, "warning: {}\n", msg);
    else if (level == sdk::LogLevel::Info) fmt::print("{}\n", msg);
  });
}

}  // namespace

int cmd_list(const CommonOptions& common, const std::optional<std::string>& kind_name) {
  std::optional<sdk::Kind> kind;
  if (kind_name) {
    kind = sdk::parse_kind(*kind_name);
    if (!kind) throw UsageError("unknown kind '" + *kind_name + "'; kinds are dataset, augmentation, backbone, method, evaluator");
  }
  Registry registry = load_registry(common);
  const auto entries = registry.list(kind);
  size_t w1 = 0, w2 = 0;
  for (const auto* e : entries) {
    w1 = std::max(w1, e->id().size());
    w2 = std::max(w2, (e->plugin->name + " " + e->plugin->version).size());
  }
  for (const auto* e : entries) {
    fmt::print("{}  {}  {}\n", pad(e->id(), w1), pad(e->plugin->name + " " + e->plugin->version, w2), e->spec.doc);
  }
  if (entries.empty()) fmt::print(stderr, "no components found (plugin folders searched: build tree, install tree, SSL_PLUGIN_PATH, --plugin-path)\n");
  return kExitOk;
}

namespace {
void print_text_entry(const ComponentEntry& e) {
  fmt::print("{}\n", e.id());
  fmt::print("  plugin: {} {}\n  file:   {}\n  doc:    {}\n\n", e.plugin->name, e.plugin->version, e.plugin->path.string(),
             e.spec.doc);
  if (const std::string note = data_note(e); !note.empty()) fmt::print("  {}\n\n", note);
  if (e.spec.schema.keys().empty()) fmt::print("  (no keys)\n");
  else print_schema_table(e.spec.schema);
  const sdk::Schema& common_keys = common_component_schema(e.kind());
  if (!common_keys.keys().empty()) {
    fmt::print("\n  keys every {} accepts (host):\n", sdk::kind_name(e.kind()));
    print_schema_table(common_keys);
  }
  std::string header = pipeline_table_of(e.kind());  // toml_template adds one pair of brackets
  header = header.substr(1, header.size() - 2);
  fmt::print("\nTOML template:\n\n{}", e.spec.schema.toml_template(header, e.spec.name));
}

void print_text_host_sections() {
  for (const auto& s : host_sections()) {
    fmt::print("{}{}\n", s.title, s.scope.empty() ? "" : " (" + s.scope + ")");
    if (!s.note.empty()) fmt::print("  {}\n", s.note);
    print_schema_table(*s.schema);
    fmt::print("\n");
  }
}

const ComponentEntry& find_component(const Registry& registry, const std::string& what) {
  const auto slash = what.find('/');
  if (slash == std::string::npos) {
    throw UsageError("describe takes KIND/NAME (e.g. method/simclr) or 'pipeline', or --markdown for the whole reference");
  }
  const auto kind = sdk::parse_kind(what.substr(0, slash));
  if (!kind) throw UsageError("unknown kind '" + what.substr(0, slash) + "'; kinds are dataset, augmentation, backbone, method, evaluator");
  const std::string name = what.substr(slash + 1);
  const ComponentEntry* e = registry.find(*kind, name);
  if (!e) {
    std::string msg = "no " + std::string(sdk::kind_name(*kind)) + " named '" + name + "'";
    const auto names = registry.names(*kind);
    if (!names.empty()) {
      msg += "; available:";
      for (const auto& n : names) msg += " " + n;
    }
    throw UsageError(msg);
  }
  return *e;
}
}  // namespace

int cmd_describe(const CommonOptions& common, const DescribeOptions& opt) {
  if (!opt.markdown) {
    if (opt.what == "pipeline") {
      print_text_host_sections();
      return kExitOk;
    }
    Registry registry = load_registry(common);
    print_text_entry(find_component(registry, opt.what));
    return kExitOk;
  }
  std::string text;
  if (opt.what == "pipeline") {
    text = markdown_host_sections();
  } else {
    Registry registry = load_registry(common);
    text = opt.what.empty() ? markdown_reference(registry) : markdown_component(find_component(registry, opt.what));
  }
  if (opt.output.empty()) {
    fmt::print("{}", text);
    return kExitOk;
  }
  std::ofstream out(opt.output, std::ios::binary | std::ios::trunc);
  out << text;
  out.close();
  if (!out) throw UsageError("--output: cannot write " + opt.output);
  fmt::print(stderr, "wrote {}\n", opt.output);
  return kExitOk;
}

int cmd_validate(const CommonOptions& common, const PipelineOptions& opt) {
  Registry registry = load_registry(common);
  Node root = load_document(fs::path(opt.file));
  if (is_study(root)) return validate_study(registry, parse_study(root, fs::path(opt.file)), opt.overrides, "");
  Pipeline p = resolve_with_overrides(std::move(root), registry, fs::path(opt.file), opt.overrides);
  fmt::print("{}", to_toml(p));
  fmt::print(stderr, "{}: valid ({} view(s), method {}, backbone {}, {} evaluator(s))\n", opt.file, p.total_views(),
             p.method.type(), p.backbone.type(), p.evaluators.size());
  return kExitOk;
}

int cmd_run(const CommonOptions& common, const PipelineOptions& opt, const RunRequest& run) {
  set_console_log_sink();
  Registry registry = load_registry(common);
  Node root = load_document(fs::path(opt.file));
  const std::optional<DistEnv> dist = dist_env_from_process();
  if (is_study(root)) {
    if (dist)
      throw UsageError(opt.file + " is a study: its arms run one after another in one process; start it without "
                       "torchrun or --nproc (a pipeline of it can run distributed on its own)");
    return run_study(registry, parse_study(root, fs::path(opt.file)), opt.overrides, run);
  }
  Pipeline p = resolve_with_overrides(std::move(root), registry, fs::path(opt.file), opt.overrides);
  const fs::path run_dir = run.output.empty() ? fs::path("runs") / p.name() : fs::path(run.output);
  if (dist) {
    const TrainOutcome outcome = train_as_rank(registry, p, run_dir, run, *dist);
    return outcome == TrainOutcome::Interrupted ? kExitInterrupted : kExitOk;
  }
  RunRequest request = run;
  const RunFolderLock lock(run_dir);  // before looking at the folder: one process per run folder
  std::string note;
  request.start = plan_start(run.start, inspect_run_folder(run_dir), run_dir, note);
  if (!note.empty()) fmt::print("{}\n", note);
  const TrainOutcome outcome = train_in_folder(registry, p, run_dir, request);
  return outcome == TrainOutcome::Interrupted ? kExitInterrupted : kExitOk;
}

int cmd_eval(const CommonOptions& common, const PipelineOptions& opt, const EvalOptions& ev) {
  set_console_log_sink();
  Registry registry = load_registry(common);
  Pipeline p = load_pipeline(registry, opt);
  const fs::path ckpt(ev.checkpoint);
  std::error_code ec;
  if (!fs::is_regular_file(ckpt, ec)) throw UsageError("--checkpoint: no such file " + ckpt.string());
  fs::path out_dir = ev.output.empty() ? ckpt.parent_path().parent_path() : fs::path(ev.output);
  Runtime rt = build_runtime(p, registry, out_dir);
  Checkpoint c = load_checkpoint(ckpt);
  load_module_state(*rt.method, c.model, ckpt.string());
  if (rt.evaluators.empty()) throw UsageError("the pipeline lists no [[evaluators]]");
  fs::create_directories(out_dir, ec);
  MetricsLog log(out_dir / "eval_metrics.jsonl", -1);
  Console console("plain");
  run_evaluators(rt, c.position.epoch, c.position.step, true, [&log](const nlohmann::json& r) { log.write(r); }, console);
  return kExitOk;
}

int cmd_embed(const CommonOptions& common, const PipelineOptions& opt, const EmbedOptions& em) {
  set_console_log_sink();
  const fs::path out(em.output);
  if (out.extension() != ".npy") throw UsageError("--output must name a .npy file, got '" + em.output + "'");
  Registry registry = load_registry(common);
  Pipeline p = load_pipeline(registry, opt);
  const fs::path ckpt(em.checkpoint);
  std::error_code ec;
  if (!fs::is_regular_file(ckpt, ec)) throw UsageError("--checkpoint: no such file " + ckpt.string());
  Runtime rt = build_runtime(p, registry, fs::path());
  Checkpoint c = load_checkpoint(ckpt);
  load_module_state(*rt.method, c.model, ckpt.string());
  sdk::FeatureRequest req;
  req.split = em.split == "train" ? sdk::Split::Train : sdk::Split::Test;
  req.representation = em.representation == "embedding" ? sdk::Representation::Embedding : sdk::Representation::Backbone;
  const auto& view = req.split == sdk::Split::Train ? rt.train : rt.test;
  if (!view) throw UsageError("--split " + em.split + ": the pipeline has no [data." + em.split + "]");
  ModelFeatureSource source(rt, FeatureUse::Training);
  const sdk::Features f = source.extract(req);
  const at::Tensor values = f.values.reshape({f.values.size(0), -1}).contiguous();
  const at::Tensor positions = f.indices.to(at::kLong).contiguous();
  at::Tensor rows = at::empty_like(positions);  // positions in the split -> rows of the dataset itself
  for (int64_t i = 0; i < rows.numel(); ++i) rows.data_ptr<int64_t>()[i] = view->base_index(positions.data_ptr<int64_t>()[i]);
  const fs::path stem = out.parent_path() / out.stem();
  if (!out.parent_path().empty()) fs::create_directories(out.parent_path(), ec);
  write_npy(out, values);
  write_npy(stem.string() + ".labels.npy", f.labels.to(at::kLong));
  write_npy(stem.string() + ".indices.npy", rows);
  const std::string csv = values.size(0) >= 2 ? report::pca_csv(values, f.labels) : std::string();
  write_file_atomic(stem.string() + ".pca.csv", std::vector<char>(csv.begin(), csv.end()));
  fmt::print("{} {} features of {} {} images ({} step(s) trained) -> {} (+ .labels.npy, .indices.npy, .pca.csv)\n",
             values.size(1), em.representation, values.size(0), em.split, c.position.step, out.string());
  return kExitOk;
}

int cmd_preview(const CommonOptions& common, const PipelineOptions& opt, const PreviewOptions& pv) {
  set_console_log_sink();
  Registry registry = load_registry(common);
  Pipeline p = load_pipeline(registry, opt);
  Runtime rt = build_runtime(p, registry, fs::path());
  const fs::path out = pv.output.empty() ? fs::path(p.name() + "_preview.html") : fs::path(pv.output);
  report::write_preview(rt, pv.images, out);
  fmt::print("{}\n", out.string());
  return kExitOk;
}

int cmd_report(const std::string& run_dir) {
  if (report::is_study_folder(run_dir)) {
    fmt::print("{}\n", report::rewrite_study(run_dir).string());
    return kExitOk;
  }
  if (!report::is_run_folder(run_dir))
    throw UsageError(run_dir + " is neither a run folder (metrics.jsonl, pipeline.resolved.toml) nor a study folder (study.json)");
  fmt::print("{}\n", report::write_report(run_dir).string());
  return kExitOk;
}

int cmd_new(const std::string& kind, const std::string& name, const std::string& dir) {
  const fs::path where = write_scaffold(kind, name, dir);
  fmt::print("wrote {} plugin '{}' into {}:\n", kind, name, where.string());
  for (const auto& f : scaffold_files(kind, name)) fmt::print("  {}\n", f.path);
  fmt::print("next:\n  cd {}\n  cmake -S . -B build -DCMAKE_PREFIX_PATH=<ssl-host install prefix>\n"
             "  cmake --build build -j2 && ctest --test-dir build\n  ssl-host run {}.toml --plugin-path build\n",
             where.string(), name);
  return kExitOk;
}

}  // namespace ssl::host
