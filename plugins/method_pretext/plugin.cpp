// Pretext tasks: one .cpp per method, each ending in its registration function.
#include "ssl/sdk/plugin_api.h"
#include "ssl/sdk/registrar.h"

namespace ssl::plugins::method_pretext {

void register_rotation(sdk::Registrar& r);
void register_jigsaw(sdk::Registrar& r);
void register_context_prediction(sdk::Registrar& r);

void register_components(sdk::Registrar& r) {
  register_rotation(r);
  register_jigsaw(r);
  register_context_prediction(r);
}

}  // namespace ssl::plugins::method_pretext

SSL_PLUGIN_DEFINE(method_pretext, "0.1.0", ssl::plugins::method_pretext::register_components)
