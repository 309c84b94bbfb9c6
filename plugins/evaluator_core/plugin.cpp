// evaluator_core: kNN, linear probe, clustering scores, collapse diagnostics, feature balance and
// open-set scores, one .cpp each ending in its registration function.
#include "ssl/sdk/plugin_api.h"
#include "ssl/sdk/registrar.h"

namespace ssl::plugins::evaluator_core {

void register_knn(sdk::Registrar& r);
void register_linear(sdk::Registrar& r);
void register_collapse(sdk::Registrar& r);
void register_clustering(sdk::Registrar& r);
void register_balance(sdk::Registrar& r);
void register_open_set(sdk::Registrar& r);

void register_components(sdk::Registrar& r) {
  register_knn(r);
  register_linear(r);
  register_collapse(r);
  register_clustering(r);
  register_balance(r);
  register_open_set(r);
}

}  // namespace ssl::plugins::evaluator_core

SSL_PLUGIN_DEFINE(evaluator_core, "0.1.0", ssl::plugins::evaluator_core::register_components)
