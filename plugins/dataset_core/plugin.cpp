// dataset_core: IDX (MNIST/Fashion-MNIST), CIFAR binaries, image folders, synthetic shapes;
// one .cpp each, ending in its registration function.
#include "ssl/sdk/plugin_api.h"
#include "ssl/sdk/registrar.h"

namespace ssl::plugins::dataset_core {

void register_idx(sdk::Registrar& r);
void register_cifar(sdk::Registrar& r);
void register_image_folder(sdk::Registrar& r);
void register_synthetic(sdk::Registrar& r);

void register_components(sdk::Registrar& r) {
  register_idx(r);
  register_cifar(r);
  register_image_folder(r);
  register_synthetic(r);
}

}  // namespace ssl::plugins::dataset_core

SSL_PLUGIN_DEFINE(dataset_core, "0.1.0", ssl::plugins::dataset_core::register_components)
