#include "simclr.h"
#include "ssl/sdk/plugin_api.h"
#include "ssl/sdk/registrar.h"

namespace ssl::plugins::method_contrastive {

void register_components(sdk::Registrar& r) {
  r.add_method("simclr", &make_simclr, simclr_schema(), "SimCLR: NT-Xent over the 2N projected views, negatives from the global batch");
}

}  // namespace ssl::plugins::method_contrastive

SSL_PLUGIN_DEFINE(method_contrastive, "0.1.0", ssl::plugins::method_contrastive::register_components)
