// SimCLR, MoCo v2, MoCo v3, NNCLR, DirectCLR: one .cpp per method, each ending in its
// registration function.
#include "ssl/sdk/plugin_api.h"
#include "ssl/sdk/registrar.h"

namespace ssl::plugins::method_contrastive {

void register_simclr(sdk::Registrar& r);
void register_moco_v2(sdk::Registrar& r);
void register_moco_v3(sdk::Registrar& r);
void register_nnclr(sdk::Registrar& r);
void register_directclr(sdk::Registrar& r);

void register_components(sdk::Registrar& r) {
  register_simclr(r);
  register_moco_v2(r);
  register_moco_v3(r);
  register_nnclr(r);
  register_directclr(r);
}

}  // namespace ssl::plugins::method_contrastive

SSL_PLUGIN_DEFINE(method_contrastive, "0.1.0", ssl::plugins::method_contrastive::register_components)
