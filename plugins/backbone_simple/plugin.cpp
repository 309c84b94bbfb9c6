#include "ssl/sdk/plugin_api.h"
#include "ssl/sdk/registrar.h"
#include "pixels.h"
#include "tiny_cnn.h"

namespace ssl::plugins::backbone_simple {

void register_components(sdk::Registrar& r) {
  r.add_backbone("tiny_cnn", &make_tiny_cnn, tiny_cnn_schema(), "4-layer conv-BN-ReLU net + global average pool (8*width features) for smoke tests");
  r.add_backbone("pixels", &make_pixels, pixels_schema(),
                 "the flattened image, no parameters: the raw-pixel baseline (with [trainer] epochs = 0)");
}

}  // namespace ssl::plugins::backbone_simple

SSL_PLUGIN_DEFINE(backbone_simple, "0.1.0", ssl::plugins::backbone_simple::register_components)
