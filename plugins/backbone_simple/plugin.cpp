// backbone_simple: tiny_cnn and pixels, one .cpp each ending in its registration function.
#include "ssl/sdk/plugin_api.h"
#include "ssl/sdk/registrar.h"

namespace ssl::plugins::backbone_simple {

void register_tiny_cnn(sdk::Registrar& r);
void register_pixels(sdk::Registrar& r);

void register_components(sdk::Registrar& r) {
  register_tiny_cnn(r);
  register_pixels(r);
}

}  // namespace ssl::plugins::backbone_simple

SSL_PLUGIN_DEFINE(backbone_simple, "0.1.0", ssl::plugins::backbone_simple::register_components)
