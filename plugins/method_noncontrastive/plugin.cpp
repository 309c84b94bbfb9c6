#include "barlow_twins.h"
#include "byol.h"
#include "simsiam.h"
#include "ssl/sdk/plugin_api.h"
#include "ssl/sdk/registrar.h"
#include "vicreg.h"

namespace ssl::plugins::method_noncontrastive {

void register_components(sdk::Registrar& r) {
  r.add_method("byol", &make_byol, byol_schema(), "BYOL: online predictor regresses an EMA target's projection, 2 - 2 cos, symmetric");
  r.add_method("simsiam", &make_simsiam, simsiam_schema(), "SimSiam: predictor + stop-gradient on the same network, negative cosine, symmetric");
  r.add_method("barlow_twins", &make_barlow_twins, barlow_twins_schema(), "Barlow Twins: cross-correlation of the two views driven to the identity");
  r.add_method("vicreg", &make_vicreg, vicreg_schema(), "VICReg: invariance + variance hinge + covariance penalty over the global batch");
}

}  // namespace ssl::plugins::method_noncontrastive

SSL_PLUGIN_DEFINE(method_noncontrastive, "0.1.0", ssl::plugins::method_noncontrastive::register_components)
