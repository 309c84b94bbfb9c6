// BYOL, SimSiam, Barlow Twins, VICReg: one .cpp per method, each ending in its registration
// function.
#include "ssl/sdk/plugin_api.h"
#include "ssl/sdk/registrar.h"

namespace ssl::plugins::method_noncontrastive {

void register_byol(sdk::Registrar& r);
void register_simsiam(sdk::Registrar& r);
void register_barlow_twins(sdk::Registrar& r);
void register_vicreg(sdk::Registrar& r);

void register_components(sdk::Registrar& r) {
  register_byol(r);
  register_simsiam(r);
  register_barlow_twins(r);
  register_vicreg(r);
}

}  // namespace ssl::plugins::method_noncontrastive

SSL_PLUGIN_DEFINE(method_noncontrastive, "0.1.0", ssl::plugins::method_noncontrastive::register_components)
