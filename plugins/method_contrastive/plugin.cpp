#include "directclr.h"
#include "moco_v2.h"
#include "moco_v3.h"
#include "nnclr.h"
#include "simclr.h"
#include "ssl/sdk/plugin_api.h"
#include "ssl/sdk/registrar.h"

namespace ssl::plugins::method_contrastive {

void register_components(sdk::Registrar& r) {
  r.add_method("simclr", &make_simclr, simclr_schema(), "SimCLR: NT-Xent over the 2N projected views, negatives from the global batch");
  r.add_method("moco_v2", &make_moco_v2, moco_v2_schema(), "MoCo v2: momentum key encoder, FIFO queue of negatives, InfoNCE (optional split shuffle-BN)");
  r.add_method("moco_v3", &make_moco_v3, moco_v3_schema(), "MoCo v3: predictor on the query side, in-batch keys from the momentum encoder, symmetric 2-tau-scaled InfoNCE");
  r.add_method("nnclr", &make_nnclr, nnclr_schema(), "NNCLR: nearest neighbour in a support queue as the positive, predictor, symmetric InfoNCE");
  r.add_method("directclr", &make_directclr, directclr_schema(), "DirectCLR: InfoNCE on the first d0 backbone dimensions, no projector");
}

}  // namespace ssl::plugins::method_contrastive

SSL_PLUGIN_DEFINE(method_contrastive, "0.1.0", ssl::plugins::method_contrastive::register_components)
