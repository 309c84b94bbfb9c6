#pragma once
// Collapse diagnostics on a fixed, seeded evaluation subset (see ssl/nn/collapse_metrics.h):
// for each requested representation (backbone features and/or the method's embedding):
//   <repr>/std          mean per-dimension std of L2-normalised features (SimSiam, Chen & He 2021)
//   <repr>/std_sqrt_d   the same times sqrt(D): ~1 healthy, -> 0 collapsed
//   <repr>/rankme       effective rank of the feature matrix (RankMe, Garrido et al. 2023)
//   <repr>/small_sv     covariance singular values below rel_threshold * largest
//                       (dimensional collapse, Jing et al. 2022)
//   <repr>/alignment    E ||n(f(x)) - n(f(x+))||^2 over two augmented views (Wang & Isola 2020)
//   <repr>/uniformity   log E exp(-2 ||n(f(x)) - n(f(y))||^2), averaged over both views
// The sorted covariance spectrum is written to <run_dir>/spectra/<repr>_epoch<NNN>.csv.
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include <ATen/core/Tensor.h>

#include "ssl/sdk/config.h"
#include "ssl/sdk/context.h"
#include "ssl/sdk/evaluator.h"
#include "ssl/sdk/schema.h"
#include "ssl/sdk/types.h"

namespace ssl::plugins::evaluator_core {

struct CollapseOptions {
  int64_t num_samples = 4096;  // N >> D as RankMe asks (the paper uses 25600)
  sdk::Split split = sdk::Split::Train;
  std::vector<sdk::Representation> representations = {sdk::Representation::Backbone,
                                                       sdk::Representation::Embedding};
  double rel_threshold = 1e-4;  // a variance 1e-4 of the largest = 1% of its std
  bool pairs = true;            // extract two augmented views for alignment / uniformity
  double alignment_alpha = 2.0;  // Wang & Isola 2020
  double uniformity_t = 2.0;     // Wang & Isola 2020
};

// Writes `spectrum` [K] as "k,sigma" lines (k from 1) to `path` atomically (temp + rename),
// creating the parent folder.
void write_spectrum_csv(const std::filesystem::path& path, const at::Tensor& spectrum);

// The `collapse` evaluator.
class CollapseEvaluator : public sdk::Evaluator {
 public:
  explicit CollapseEvaluator(CollapseOptions options);
  sdk::EvalResult evaluate(sdk::EvalContext& ctx) override;

 private:
  CollapseOptions options_;
};

sdk::Schema collapse_schema();
std::shared_ptr<sdk::Evaluator> make_collapse(const sdk::Config& config,
                                              const sdk::BuildContext& ctx);

}  // namespace ssl::plugins::evaluator_core
