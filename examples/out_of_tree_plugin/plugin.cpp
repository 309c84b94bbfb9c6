#include "invert.h"
#include "ssl/sdk/plugin_api.h"
#include "ssl/sdk/registrar.h"

namespace {
void register_components(ssl::sdk::Registrar& r) {
  using namespace ssl::plugins::example_invert;
  r.add_augmentation("invert", &make_invert, invert_schema(), "invert pixel values with probability p (example plugin)");
}
}  // namespace

SSL_PLUGIN_DEFINE(example_invert, "0.1.0", register_components)
