#pragma once
// An evaluator scores the current model (kNN, linear probe, collapse diagnostics, ...).
#include <atomic>
#include <cstdint>
#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include <c10/core/Device.h>

#include "ssl/sdk/export.h"
#include "ssl/sdk/features.h"

namespace ssl::sdk {

class Comm;

struct EvalContext {
  FeatureSource* features = nullptr;   // cached per evaluation round: evaluators share extractions
  Comm* comm = nullptr;
  c10::Device device = c10::Device(c10::kCPU);
  int64_t epoch = 0;                   // epochs completed
  int64_t step = 0;
  bool final = false;                  // the evaluation at the end of training
  std::filesystem::path run_dir;       // write artefacts (spectra, ...) here; may be empty
  uint64_t seed = 0;
  // Set while a run trains: the host's stop flag (SIGINT/SIGTERM). The host's feature
  // extraction checks it between batches; an evaluator with long work of its own calls
  // sdk::throw_if_stopped(ctx.stop) between pieces of it (the linear probe: every batch).
  const std::atomic<bool>* stop = nullptr;
  // Images per class (index = label) of the training split [data.train], the data the method
  // trained on, which may differ from the split evaluators fit on ([data.eval_train]); empty
  // when it has no labels. Evaluators group classes by it (head and tail of a long tail).
  std::vector<int64_t> train_class_counts;
};

struct EvalResult {
  // Logged as "<evaluator name>/<key>", e.g. "knn/top1".
  std::vector<std::pair<std::string, double>> metrics;
};

class SSL_SDK_API Evaluator {
 public:
  virtual ~Evaluator();
  virtual EvalResult evaluate(EvalContext& ctx) = 0;
};

}  // namespace ssl::sdk
