#pragma once
// Everything a run needs, built from a resolved pipeline: device, data, view chains, the
// method (with its backbone) and the evaluators. Building happens only after validation.
#include <c10/core/Device.h>

#include <atomic>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "dataset_view.h"
#include "loader.h"
#include "pipeline.h"
#include "registry.h"
#include "ssl/sdk/comm.h"
#include "ssl/sdk/evaluator.h"
#include "ssl/sdk/method.h"

namespace ssl::host {

struct NamedEvaluator {
  std::string name;  // metric prefix, e.g. "knn" ("knn_2" when listed twice)
  int64_t every = 0;
  std::shared_ptr<sdk::Evaluator> evaluator;
};

struct Runtime {
  const Pipeline* pipeline = nullptr;
  c10::Device device = c10::Device(c10::kCPU);
  std::shared_ptr<sdk::Comm> comm;
  std::filesystem::path run_dir;
  uint64_t seed = 0;
  std::shared_ptr<DatasetView> train, test;
  std::shared_ptr<DatasetView> target;  // [data.target] of a two-domain pipeline; null otherwise
  std::shared_ptr<DatasetView> eval_train;  // [data.eval_train]; null: evaluators fit on `train`
  std::vector<ViewChain> train_chains;
  std::vector<ViewChain> target_chains;  // the target's views (two-domain pipelines only)
  std::vector<ViewChain> eval_chain;  // one chain: the evaluation transform
  std::shared_ptr<sdk::Method> method;
  // The method declared uses_labels(): training batches carry labels (else they never do).
  bool uses_labels = false;
  std::vector<NamedEvaluator> evaluators;
  // While train() runs: the run's stop flag (SIGINT/SIGTERM), checked by feature extraction
  // and evaluators between batches (sdk::throw_if_stopped). Null otherwise.
  const std::atomic<bool>* stop = nullptr;
};

// Picks the device ("auto": cuda when available) and sets torch's thread count.
c10::Device select_device(const std::string& requested);
void configure_threads(int64_t threads);
// How OpenMP workers wait, as the user or ssl-host's default set it (main.cpp):
// "OMP_WAIT_POLICY=..., GOMP_SPINCOUNT=..." for the variables set, else "libgomp's default".
std::string openmp_wait_setting();
// One OpenBLAS thread per torch thread (see runtime.cpp); configure_threads calls it.
void single_threaded_blas();

// Builds every component. Errors carry the component's role: "[method simclr | build] ...".
// `comm`: the run's process group (null: a single process).
Runtime build_runtime(const Pipeline& pipeline, const Registry& registry, const std::filesystem::path& run_dir,
                      std::shared_ptr<sdk::Comm> comm = nullptr);

// Wraps a plugin error with where it happened: "[<what> | <stage>] message". ConfigError and
// sdk::Interrupted pass unchanged.
[[noreturn]] void rethrow_with_context(const std::string& what, const std::string& stage);

}  // namespace ssl::host
