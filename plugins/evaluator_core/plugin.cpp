#include "collapse.h"
#include "knn.h"
#include "linear_probe.h"
#include "ssl/sdk/plugin_api.h"
#include "ssl/sdk/registrar.h"

namespace ssl::plugins::evaluator_core {

void register_components(sdk::Registrar& r) {
  r.add_evaluator("knn", &make_knn, knn_schema(), "weighted kNN top-1/top-5 on backbone features (Wu et al. 2018)");
  r.add_evaluator("linear", &make_linear, linear_schema(), "linear probe on frozen, standardised backbone features (SGD)");
  r.add_evaluator("collapse", &make_collapse, collapse_schema(), "collapse diagnostics: std, RankMe, spectrum, alignment, uniformity");
}

}  // namespace ssl::plugins::evaluator_core

SSL_PLUGIN_DEFINE(evaluator_core, "0.1.0", ssl::plugins::evaluator_core::register_components)
