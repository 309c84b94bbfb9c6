#include "resnet.h"
#include "ssl/sdk/plugin_api.h"
#include "ssl/sdk/registrar.h"

namespace ssl::plugins::backbone_resnet {

void register_components(sdk::Registrar& r) {
  r.add_backbone("resnet18", &make_resnet18, resnet_schema(), "ResNet-18 (BasicBlock [2,2,2,2]), 512 features at width 64");
  r.add_backbone("resnet34", &make_resnet34, resnet_schema(), "ResNet-34 (BasicBlock [3,4,6,3]), 512 features at width 64");
  r.add_backbone("resnet50", &make_resnet50, resnet_schema(), "ResNet-50 (Bottleneck [3,4,6,3]), 2048 features at width 64");
  r.add_backbone("resnet_small", &make_resnet_small, resnet_small_schema(), "CPU-sized ResNet for 28-32 px (BasicBlock [1,1,1,1], widths 32..256), 256 features");
}

}  // namespace ssl::plugins::backbone_resnet

SSL_PLUGIN_DEFINE(backbone_resnet, "0.1.0", ssl::plugins::backbone_resnet::register_components)
