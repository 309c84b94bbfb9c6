// dataset_core: IDX (MNIST/Fashion-MNIST), CIFAR binaries, image folders, synthetic shapes.
#include "cifar_dataset.h"
#include "idx_dataset.h"
#include "image_folder_dataset.h"
#include "ssl/sdk/plugin_api.h"
#include "ssl/sdk/registrar.h"
#include "synthetic_dataset.h"

namespace ssl::plugins::dataset_core {

void register_components(sdk::Registrar& r) {
  r.add_dataset("idx", &make_idx, idx_schema(), "MNIST / Fashion-MNIST IDX files (gzip or plain), in memory");
  r.add_dataset("cifar", &make_cifar, cifar_schema(), "CIFAR-10 / CIFAR-100 binary batches, 32x32 RGB");
  r.add_dataset("image_folder", &make_image_folder, image_folder_schema(), "image files: class folders, flat folder or manifest");
  r.add_dataset("synthetic", &make_synthetic, synthetic_schema(), "seeded procedural shapes, one shape and hue per class");
}

}  // namespace ssl::plugins::dataset_core

SSL_PLUGIN_DEFINE(dataset_core, "0.1.0", ssl::plugins::dataset_core::register_components)
