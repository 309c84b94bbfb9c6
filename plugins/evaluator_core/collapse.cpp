// The `collapse` evaluator: collapse diagnostics on a fixed, seeded evaluation subset (see
// ssl/nn/collapse_metrics.h); its metric names std_sqrt_d and rankme are the ones the host's
// alarms watch (sdk::metric). For each requested representation (backbone features and/or the
// method's embedding):
//   <repr>/std          mean per-dimension std of L2-normalised features (SimSiam, Chen & He 2021)
//   <repr>/std_sqrt_d   the same times sqrt(D): ~1 healthy, -> 0 collapsed
//   <repr>/rankme       effective rank of the feature matrix (RankMe, Garrido et al. 2023)
//   <repr>/small_sv     covariance singular values below rel_threshold * largest
//                       (dimensional collapse, Jing et al. 2022)
//   <repr>/alignment    E ||n(f(x)) - n(f(x+))||^2 over two augmented views (Wang & Isola 2020)
//   <repr>/uniformity   log E exp(-2 ||n(f(x)) - n(f(y))||^2), averaged over both views
// The sorted covariance spectrum is written to <run_dir>/spectra/<repr>_epoch<NNN>.csv.
#include <ATen/ATen.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <sstream>
#include <system_error>
#include <utility>
#include <vector>

#include "feature_utils.h"
#include "ssl/nn/collapse_metrics.h"
#include "ssl/sdk/error.h"
#include "ssl/sdk/evaluator.h"
#include "ssl/sdk/features.h"
#include "ssl/sdk/log.h"
#include "ssl/sdk/method.h"
#include "ssl/sdk/registrar.h"

namespace ssl::plugins::evaluator_core {
namespace {

const char* repr_name(sdk::Representation r) { return r == sdk::Representation::Backbone ? "backbone" : "embedding"; }

std::string epoch_tag(int64_t epoch) {
  std::ostringstream out;
  out << "epoch" << std::setw(3) << std::setfill('0') << epoch;
  return out.str();
}

// Writes `spectrum` [K] as "k,sigma" lines (k from 1) to `path` atomically (temp + rename),
// creating the parent folder.
void write_spectrum_csv(const std::filesystem::path& path, const at::Tensor& spectrum) {
  std::error_code ec;
  std::filesystem::create_directories(path.parent_path(), ec);
  SSL_CHECK(!ec, "collapse: cannot create folder ", path.parent_path(), ": ", ec.message());
  const at::Tensor values = spectrum.to(at::kCPU, at::kDouble).contiguous();
  const double* v = values.data_ptr<double>();
  std::filesystem::path tmp = path;
  tmp += ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    SSL_CHECK(out.good(), "collapse: cannot write ", tmp);
    out << "k,sigma\n" << std::setprecision(17);
    for (int64_t k = 0; k < values.numel(); ++k) out << (k + 1) << ',' << v[k] << '\n';
    out.flush();
    SSL_CHECK(out.good(), "collapse: writing ", tmp, " failed");
  }
  std::filesystem::rename(tmp, path, ec);
  if (ec) {
    std::filesystem::remove(tmp);
    SSL_FAIL("collapse: cannot move ", tmp, " to ", path, ": ", ec.message());
  }
}

class CollapseEvaluator final : public sdk::Evaluator {
 public:
  CollapseEvaluator(const sdk::Config& config, const sdk::BuildContext&)
      : num_samples_(config.get_int("num_samples")),
        split_(config.get_string("split") == "test" ? sdk::Split::Test : sdk::Split::Train),
        rel_threshold_(config.get_float("rel_threshold")), pairs_(config.get_bool("pairs")),
        alignment_alpha_(config.get_float("alignment_alpha")), uniformity_t_(config.get_float("uniformity_t")) {
    for (const auto& r : config.get_string_list("representations")) {
      const auto repr = r == "backbone" ? sdk::Representation::Backbone : sdk::Representation::Embedding;
      SSL_CHECK(std::find(representations_.begin(), representations_.end(), repr) == representations_.end(),
                config.context(), ": 'representations' lists '", r, "' twice");
      representations_.push_back(repr);
    }
  }

  static sdk::Schema schema() {
    sdk::Schema s;
    s.add_int("num_samples", 4096,
              "size of the fixed seeded evaluation subset, 0: whole split (RankMe wants N >> D; paper: 25600)")
        .min(0);
    s.add_string("split", "train", "split the subset is drawn from").choices({"train", "test"});
    s.add_string_list("representations", {"backbone", "embedding"},
                      "features to diagnose: backbone output and/or the method's embedding")
        .choices({"backbone", "embedding"})
        .size(1, 2);
    s.add_float("rel_threshold", 1e-4,
                "small_sv counts covariance singular values below this fraction of the largest "
                "(1e-4 in variance = 1% in std; Jing et al. 2022)")
        .min(0);
    s.add_bool("pairs", true, "extract two augmented views per sample for alignment and uniformity");
    s.add_float("alignment_alpha", 2.0, "alignment exponent alpha (Wang & Isola 2020: 2)").greater_than(0);
    s.add_float("uniformity_t", 2.0, "uniformity temperature t (Wang & Isola 2020: 2)").greater_than(0);
    return s;
  }

  sdk::EvalResult evaluate(sdk::EvalContext& ctx) override {
    sdk::EvalResult result;
    for (const sdk::Representation repr : representations_) {
      const std::string name = repr_name(repr);
      sdk::FeatureRequest request;
      request.split = split_;
      request.representation = repr;
      request.max_samples = num_samples_;
      request.seed = ctx.seed;
      const at::Tensor z = extract_split(ctx, request, "collapse").values.to(ctx.device, at::kFloat);
      SSL_CHECK(z.size(0) >= 2, "collapse: needs at least 2 samples of the ", sdk::split_name(split_), " split, got ",
                z.size(0));
      if (z.size(0) <= z.size(1))
        sdk::log_warning("collapse: " + std::to_string(z.size(0)) + " samples for " + name + " features of dimension " +
                         std::to_string(z.size(1)) +
                         ": the spectrum has at least D - N + 1 zero values; raise num_samples");

      const nn::NormalizedStd std = nn::normalized_std(z);
      const at::Tensor spectrum = nn::singular_spectrum(z);
      result.metrics.emplace_back(name + "/std", std.std);
      result.metrics.emplace_back(name + "/" + sdk::metric::kStdSqrtD, std.std_sqrt_d);
      result.metrics.emplace_back(name + "/" + sdk::metric::kRankMe, nn::rankme(z));
      result.metrics.emplace_back(name + "/small_sv",
                                  static_cast<double>(nn::count_small_singular(spectrum, rel_threshold_)));

      if (pairs_) {
        request.augmented_views = 2;
        const at::Tensor views = extract_split(ctx, request, "collapse").values.to(ctx.device, at::kFloat);
        SSL_CHECK(views.size(1) >= 2, "collapse: needs at least 2 augmented pairs, got ", views.size(1));
        nn::UniformityOptions uniform;
        uniform.t = uniformity_t_;
        // With num_samples = 0 (whole split) uniformity keeps its own subsample (4096 points).
        if (num_samples_ >= 2) uniform.max_samples = num_samples_;
        uniform.seed = ctx.seed;
        result.metrics.emplace_back(name + "/alignment", nn::alignment(views[0], views[1], alignment_alpha_));
        result.metrics.emplace_back(name + "/uniformity",
                                    0.5 * (nn::uniformity(views[0], uniform) + nn::uniformity(views[1], uniform)));
      }
      if (!ctx.run_dir.empty())
        write_spectrum_csv(ctx.run_dir / "spectra" / (name + "_" + epoch_tag(ctx.epoch) + ".csv"), spectrum);
    }
    return result;
  }

 private:
  int64_t num_samples_;  // N >> D as RankMe asks (the paper uses 25600)
  sdk::Split split_;
  std::vector<sdk::Representation> representations_;
  double rel_threshold_;    // a variance 1e-4 of the largest = 1% of its std
  bool pairs_;              // extract two augmented views for alignment / uniformity
  double alignment_alpha_;  // Wang & Isola 2020
  double uniformity_t_;     // Wang & Isola 2020
};

}  // namespace

void register_collapse(sdk::Registrar& r) {
  r.add_evaluator<CollapseEvaluator>("collapse", "collapse diagnostics: std, RankMe, spectrum, alignment, uniformity");
}

}  // namespace ssl::plugins::evaluator_core
