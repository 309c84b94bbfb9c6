// Domain adaptation: DANCE and its source-only baseline, one .cpp per method, each ending in its
// registration function.
#include "ssl/sdk/plugin_api.h"
#include "ssl/sdk/registrar.h"

namespace ssl::plugins::method_adaptation {

void register_dance(sdk::Registrar& r);
void register_source_only(sdk::Registrar& r);

void register_components(sdk::Registrar& r) {
  register_dance(r);
  register_source_only(r);
}

}  // namespace ssl::plugins::method_adaptation

SSL_PLUGIN_DEFINE(method_adaptation, "0.1.0", ssl::plugins::method_adaptation::register_components)
