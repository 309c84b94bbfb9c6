// ssl-host: loads plugins, validates TOML pipelines and runs them.
#include <unistd.h>

#include <c10/util/Exception.h>
#include <fmt/core.h>

#include <CLI/CLI.hpp>
#include <atomic>
#include <csignal>
#include <algorithm>
#include <cstring>

#include "commands.h"
#include "diagnostics.h"
#include "dist/launcher.h"
#include "ssl/sdk/error.h"

namespace {
std::atomic<bool> g_stop{false};
std::atomic<int> g_signal{0};

extern "C" void on_signal(int sig) {
  g_signal = sig;
  if (g_stop.exchange(true)) {  // a second signal: stop now
    std::signal(sig, SIG_DFL);
    std::raise(sig);
  }
}

// How long an OpenMP worker spins at a barrier before it sleeps (libgomp's GOMP_SPINCOUNT;
// libgomp's own default is 300000, about 3 ms). Spinning keeps a quiet machine's cores hot
// between parallel regions, but beside another busy process a spinning worker holds its core
// for whole scheduler slices while the thread it waits for has none: training fell to 0.36x
// of its quiet speed on 2 cores. A shorter spin keeps the quiet speed and degrades in
// proportion under load (bench/run_load_bench.sh, bench/RESULTS.md).
constexpr const char* kOpenMpSpinCount = "GOMP_SPINCOUNT=1000";

bool has_variable(char** envp, const char* name) {
  const size_t n = std::strlen(name);
  for (char** e = envp; e && *e; ++e)
    if (std::strncmp(*e, name, n) == 0 && (*e)[n] == '=') return true;
  return false;
}

// The verb: the first argument that is not an option (nor --plugin-path's value).
const char* verb_of(char** argv) {
  for (char** a = argv + 1; *a; ++a) {
    if (std::strcmp(*a, "--plugin-path") == 0) {
      if (!*++a) break;
    } else if (**a != '-') {
      return *a;
    }
  }
  return "";
}

// libgomp reads its variables once, in its own initialiser, and this early the C library's
// environ is not set up yet (it is assigned the original block after .preinit_array runs, so a
// setenv here is lost): for the verbs that compute (run, eval, embed), when the user set neither
// OMP_WAIT_POLICY nor GOMP_SPINCOUNT, the process executes itself again with the default
// added, before any library initialiser ran. That costs one more loading of the libraries
// (about 0.35 s here), which is why the quick verbs skip it. If it fails (no /proc), the run
// goes on with libgomp's default.
void exec_with_openmp_default(char** argv, char** envp) {
  const char* verb = verb_of(argv);
  if (std::strcmp(verb, "run") != 0 && std::strcmp(verb, "eval") != 0 && std::strcmp(verb, "embed") != 0) return;
  if (has_variable(envp, "OMP_WAIT_POLICY") || has_variable(envp, "GOMP_SPINCOUNT")) return;
  static char* env[8192];  // no heap this early: the allocator may not be initialised
  size_t n = 0;
  while (envp && envp[n]) ++n;
  if (n + 2 > sizeof(env) / sizeof(env[0])) return;
  std::copy(envp, envp + n, env);
  env[n] = const_cast<char*>(kOpenMpSpinCount);
  env[n + 1] = nullptr;
  ::execve("/proc/self/exe", argv, env);
}

// Runs from the executable's .preinit_array, before any shared library's initialisers:
// - the OpenMP default above;
// - SIGINT/SIGTERM stop a run cleanly (checkpoint, exit code 130) from the first instant
//   (LibTorch's initialisers take about 0.4 s, during which a signal used to kill the process
//   with 143); main() puts the default action back for the verbs that do not train.
extern "C" void early_process_setup(int, char** argv, char** envp) {
  exec_with_openmp_default(argv, envp);
  std::signal(SIGINT, on_signal);
  std::signal(SIGTERM, on_signal);
}
__attribute__((section(".preinit_array"), used)) void (*const g_early_process_setup)(int, char**, char**) =
    early_process_setup;

int report(const std::string& what, int code) {
  fmt::print(stderr, "error: {}\n", what);
  return code;
}
}  // namespace

int main(int argc, char** argv) {
  using namespace ssl::host;
  CLI::App app{"ssl-host: self-supervised representation learning with plugins"};
  app.require_subcommand(1);
  app.fallthrough();  // global options (--plugin-path) may follow the verb
  CommonOptions common;
  app.add_option("--plugin-path", common.plugin_paths,
                 "extra plugin file or folder (repeatable; ':' separates several); also SSL_PLUGIN_PATH")
      ->type_name("PATH");

  std::optional<std::string> list_kind;
  auto* list = app.add_subcommand("list", "list components: KIND/NAME, plugin and version, doc line");
  list->add_option("kind", list_kind, "dataset | augmentation | backbone | method | evaluator");

  DescribeOptions describe_opt;
  auto* describe = app.add_subcommand("describe", "show a component's keys and a TOML template (or 'pipeline' for the host sections; "
                                                  "--markdown alone: the whole component reference, docs/components.md)");
  describe->add_option("component", describe_opt.what, "KIND/NAME, e.g. method/simclr, or 'pipeline'");
  auto* markdown_flag = describe->add_flag("--markdown", describe_opt.markdown,
                                           "print Markdown; without a component, the reference of every component and host section");
  describe->add_option("--output", describe_opt.output, "write the Markdown to this file instead of stdout")
      ->type_name("FILE")
      ->needs(markdown_flag);

  PipelineOptions pipeline;
  auto add_pipeline = [&](CLI::App* cmd) {
    cmd->add_option("file", pipeline.file, "pipeline TOML")->required();
    cmd->add_option("--set", pipeline.overrides, "override a key, typed by its schema (e.g. method.temperature=0.5)")
        ->type_name("KEY=VALUE");
  };
  auto* validate = app.add_subcommand("validate", "validate a pipeline and print it resolved, or every arm of a study and what run would do (a dry run)");
  add_pipeline(validate);

  RunRequest run;
  bool resume = false, overwrite = false;
  auto* run_cmd = app.add_subcommand("run", "train a pipeline (outputs in runs/<name>/), or every arm of a study (a file with [[arms]])");
  add_pipeline(run_cmd);
  run_cmd->add_option("--output", run.output, "run folder, or a study's folder (default: runs/<name>)");
  run_cmd->add_flag("--resume", resume,
                    "continue the run in the run folder from its last checkpoint (none yet: start from scratch)");
  run_cmd->add_flag("--overwrite", overwrite, "replace an existing run in the run folder");
  LaunchOptions launch;
  auto* nproc = run_cmd->add_option("--nproc", launch.nproc,
                      "data-parallel: start N worker processes on this host (as torchrun --nproc-per-node N)")
      ->check(CLI::Range(1, 1024));
  run_cmd->add_option("--nnodes", launch.nnodes, "with --nproc: the number of hosts (default 1)")
      ->check(CLI::PositiveNumber)
      ->needs(nproc);
  run_cmd->add_option("--node-rank", launch.node_rank, "with --nproc: this host's index, 0..nnodes-1 (default 0)")
      ->needs(nproc);
  run_cmd->add_option("--master-addr", launch.master_addr, "with --nproc: rank 0's host (needed for --nnodes > 1)")
      ->needs(nproc);
  run_cmd->add_option("--master-port", launch.master_port,
                      "with --nproc: a free TCP port on rank 0's host (default: any free port; needed for --nnodes > 1)")
      ->check(CLI::Range(1, 65535))
      ->needs(nproc);
  run_cmd->add_option("--stop-at-step", run.stop_at_step,
                      "checkpoint and stop after this many steps in total (continue later with --resume)")
      ->check(CLI::PositiveNumber);

  EvalOptions eval;
  auto* eval_cmd = app.add_subcommand("eval", "run a pipeline's evaluators on a checkpoint");
  add_pipeline(eval_cmd);
  eval_cmd->add_option("--checkpoint", eval.checkpoint, "checkpoint file (runs/<name>/checkpoints/step_*.ckpt)")->required();
  eval_cmd->add_option("--output", eval.output, "where eval_metrics.jsonl goes (default: the checkpoint's run folder)");

  EmbedOptions embed;
  auto* embed_cmd = app.add_subcommand("embed", "write one split's features under a checkpoint as .npy (+ labels, "
                                                "dataset rows, a 2-D PCA CSV) for Python and other tools");
  add_pipeline(embed_cmd);
  embed_cmd->add_option("--checkpoint", embed.checkpoint, "checkpoint file (runs/<name>/checkpoints/step_*.ckpt)")->required();
  embed_cmd->add_option("--split", embed.split, "train | test (default: test)")->check(CLI::IsMember({"train", "test"}));
  embed_cmd->add_option("--representation", embed.representation, "backbone | embedding (default: backbone)")
      ->check(CLI::IsMember({"backbone", "embedding"}));
  embed_cmd->add_option("--output", embed.output, "features file, FILE.npy")->required()->type_name("FILE");

  PreviewOptions preview;
  auto* preview_cmd = app.add_subcommand("preview", "write an HTML page of the views the augmentations make of the first "
                                                    "training images (no training)");
  add_pipeline(preview_cmd);
  preview_cmd->add_option("--images", preview.images, "how many training images (default: 8)")->check(CLI::Range(1, 256));
  preview_cmd->add_option("--output", preview.output, "the page (default: <name>_preview.html)")->type_name("FILE");

  std::string new_kind, new_name, new_dir;
  auto* new_cmd = app.add_subcommand("new", "write a buildable out-of-tree plugin project: the one-file component, "
                                             "CMakeLists.txt, a Catch2 test, a pipeline, a README");
  new_cmd->add_option("kind", new_kind, "method | augmentation | backbone | evaluator")->required();
  new_cmd->add_option("name", new_name, "the component's key, lower_snake_case (also the plugin's name)")->required();
  new_cmd->add_option("dir", new_dir, "the project folder to create (default: ./NAME)");

  std::string report_dir;
  auto* report_cmd = app.add_subcommand("report", "write RUN_DIR/report.html (curves, collapse metrics, spectra, PCA), or a study folder's page");
  report_cmd->add_option("run_dir", report_dir, "a run folder (runs/<name>) or a study folder")->required();

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    app.exit(e);
    return kExitUsage;
  }

  if (!*run_cmd) {
    std::signal(SIGINT, SIG_DFL);
    std::signal(SIGTERM, SIG_DFL);
    if (const int sig = g_signal) std::raise(sig);  // a signal while the command line was read
  }
  try {
    if (*list) return cmd_list(common, list_kind);
    if (*describe) return cmd_describe(common, describe_opt);
    if (*validate) return cmd_validate(common, pipeline);
    if (*run_cmd) {
      if (resume && overwrite) throw UsageError("--resume and --overwrite exclude each other");
      run.start = resume ? RunRequest::Start::Resume : overwrite ? RunRequest::Start::Overwrite : RunRequest::Start::New;
      run.stop_requested = &g_stop;
      if (launch.nproc > 0) return launch_workers(launch, worker_arguments(std::vector<std::string>(argv, argv + argc)), &g_stop);
      return cmd_run(common, pipeline, run);
    }
    if (*eval_cmd) return cmd_eval(common, pipeline, eval);
    if (*embed_cmd) return cmd_embed(common, pipeline, embed);
    if (*preview_cmd) return cmd_preview(common, pipeline, preview);
    if (*report_cmd) return cmd_report(report_dir);
    if (*new_cmd) return cmd_new(new_kind, new_name, new_dir);
  } catch (const ConfigError& e) {
    for (const auto& d : e.diagnostics()) fmt::print(stderr, "error: {}\n", d.str());
    if (e.diagnostics().size() > 1) fmt::print(stderr, "{} errors\n", e.diagnostics().size());
    return kExitUsage;
  } catch (const UsageError& e) {
    return report(e.what(), kExitUsage);
  } catch (const PluginLoadError& e) {
    return report(e.what(), kExitPluginLoad);
  } catch (const c10::Error& e) {
    return report(e.what_without_backtrace(), kExitRuntime);
  } catch (const std::exception& e) {
    return report(e.what(), kExitRuntime);
  }
  return kExitUsage;
}
