#include "collapse.h"

#include <ATen/ATen.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <iomanip>
#include <sstream>
#include <system_error>
#include <utility>

#include "feature_utils.h"
#include "ssl/nn/collapse_metrics.h"
#include "ssl/sdk/error.h"
#include "ssl/sdk/features.h"
#include "ssl/sdk/log.h"
#include "ssl/sdk/method.h"

namespace ssl::plugins::evaluator_core {
namespace {

const char* repr_name(sdk::Representation r) {
  return r == sdk::Representation::Backbone ? "backbone" : "embedding";
}

std::string epoch_tag(int64_t epoch) {
  std::ostringstream out;
  out << "epoch" << std::setw(3) << std::setfill('0') << epoch;
  return out.str();
}

}  // namespace

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

CollapseEvaluator::CollapseEvaluator(CollapseOptions options) : options_(std::move(options)) {}

sdk::EvalResult CollapseEvaluator::evaluate(sdk::EvalContext& ctx) {
  sdk::EvalResult result;
  for (const sdk::Representation repr : options_.representations) {
    const std::string name = repr_name(repr);
    sdk::FeatureRequest request;
    request.split = options_.split;
    request.representation = repr;
    request.max_samples = options_.num_samples;
    request.seed = ctx.seed;
    const at::Tensor z = extract_split(ctx, request, "collapse").values.to(ctx.device, at::kFloat);
    SSL_CHECK(z.size(0) >= 2, "collapse: needs at least 2 samples of the ",
              sdk::split_name(options_.split), " split, got ", z.size(0));
    if (z.size(0) <= z.size(1))
      sdk::log_warning("collapse: " + std::to_string(z.size(0)) + " samples for " + name +
                       " features of dimension " + std::to_string(z.size(1)) +
                       ": the spectrum has at least D - N + 1 zero values; raise num_samples");

    const nn::NormalizedStd std = nn::normalized_std(z);
    const at::Tensor spectrum = nn::singular_spectrum(z);
    result.metrics.emplace_back(name + "/std", std.std);
    result.metrics.emplace_back(name + "/" + sdk::metric::kStdSqrtD, std.std_sqrt_d);
    result.metrics.emplace_back(name + "/" + sdk::metric::kRankMe, nn::rankme(z));
    result.metrics.emplace_back(
        name + "/small_sv",
        static_cast<double>(nn::count_small_singular(spectrum, options_.rel_threshold)));

    if (options_.pairs) {
      request.augmented_views = 2;
      const at::Tensor views =
          extract_split(ctx, request, "collapse").values.to(ctx.device, at::kFloat);
      SSL_CHECK(views.size(1) >= 2, "collapse: needs at least 2 augmented pairs, got ",
                views.size(1));
      nn::UniformityOptions uniform;
      uniform.t = options_.uniformity_t;
      // With num_samples = 0 (whole split) uniformity keeps its own subsample (4096 points).
      if (options_.num_samples >= 2) uniform.max_samples = options_.num_samples;
      uniform.seed = ctx.seed;
      result.metrics.emplace_back(name + "/alignment",
                                  nn::alignment(views[0], views[1], options_.alignment_alpha));
      result.metrics.emplace_back(
          name + "/uniformity",
          0.5 * (nn::uniformity(views[0], uniform) + nn::uniformity(views[1], uniform)));
    }
    if (!ctx.run_dir.empty())
      write_spectrum_csv(ctx.run_dir / "spectra" / (name + "_" + epoch_tag(ctx.epoch) + ".csv"),
                         spectrum);
  }
  return result;
}

sdk::Schema collapse_schema() {
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
  s.add_float("alignment_alpha", 2.0, "alignment exponent alpha (Wang & Isola 2020: 2)")
      .greater_than(0);
  s.add_float("uniformity_t", 2.0, "uniformity temperature t (Wang & Isola 2020: 2)")
      .greater_than(0);
  return s;
}

std::shared_ptr<sdk::Evaluator> make_collapse(const sdk::Config& config,
                                              const sdk::BuildContext&) {
  CollapseOptions options;
  options.num_samples = config.get_int("num_samples");
  options.split = config.get_string("split") == "test" ? sdk::Split::Test : sdk::Split::Train;
  options.representations.clear();
  for (const auto& r : config.get_string_list("representations")) {
    const auto repr = r == "backbone" ? sdk::Representation::Backbone
                                      : sdk::Representation::Embedding;
    SSL_CHECK(std::find(options.representations.begin(), options.representations.end(), repr) ==
                  options.representations.end(),
              config.context(), ": 'representations' lists '", r, "' twice");
    options.representations.push_back(repr);
  }
  options.rel_threshold = config.get_float("rel_threshold");
  options.pairs = config.get_bool("pairs");
  options.alignment_alpha = config.get_float("alignment_alpha");
  options.uniformity_t = config.get_float("uniformity_t");
  return std::make_shared<CollapseEvaluator>(std::move(options));
}

}  // namespace ssl::plugins::evaluator_core
