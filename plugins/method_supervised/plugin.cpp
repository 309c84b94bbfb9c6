// The supervised baseline: one .cpp per method, each ending in its registration function.
#include "ssl/sdk/plugin_api.h"
#include "ssl/sdk/registrar.h"

namespace ssl::plugins::method_supervised {

void register_supervised(sdk::Registrar& r);

void register_components(sdk::Registrar& r) { register_supervised(r); }

}  // namespace ssl::plugins::method_supervised

SSL_PLUGIN_DEFINE(method_supervised, "0.1.0", ssl::plugins::method_supervised::register_components)
