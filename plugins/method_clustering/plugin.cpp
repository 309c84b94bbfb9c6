// SwAV, DeepCluster (v1), DeepCluster v2 and DINO: one .cpp per method, each ending in its registration function.
#include "ssl/sdk/plugin_api.h"
#include "ssl/sdk/registrar.h"

namespace ssl::plugins::method_clustering {

void register_swav(sdk::Registrar& r);
void register_deepcluster(sdk::Registrar& r);
void register_deepcluster_v2(sdk::Registrar& r);
void register_dino(sdk::Registrar& r);

void register_components(sdk::Registrar& r) {
  register_swav(r);
  register_deepcluster(r);
  register_deepcluster_v2(r);
  register_dino(r);
}

}  // namespace ssl::plugins::method_clustering

SSL_PLUGIN_DEFINE(method_clustering, "0.1.0", ssl::plugins::method_clustering::register_components)
