#include "dist/sync_batch_norm.h"

#include <torch/nn/module.h>
#include <torch/nn/modules/batchnorm.h>

#include "ssl/sdk/error.h"

namespace ssl::host {

namespace {
bool is_torch_batch_norm(const torch::nn::Module& m) {
  return dynamic_cast<const torch::nn::BatchNorm1dImpl*>(&m) != nullptr ||
         dynamic_cast<const torch::nn::BatchNorm2dImpl*>(&m) != nullptr ||
         dynamic_cast<const torch::nn::BatchNorm3dImpl*>(&m) != nullptr;
}
}  // namespace

std::shared_ptr<nn::BatchNormSync> enable_sync_batch_norm(torch::nn::Module& model, sdk::Comm& comm,
                                                          const std::string& model_name) {
  auto sync = std::make_shared<nn::BatchNormSync>();
  sync->comm = &comm;
  int64_t layers = 0;
  for (const auto& item : model.named_modules(model_name)) {
    torch::nn::Module& m = *item.value();
    if (auto* syncable = dynamic_cast<nn::SyncableBatchNorm*>(&m)) {
      syncable->set_sync(sync);
      ++layers;
    } else if (is_torch_batch_norm(m)) {
      throw sdk::Error("trainer.sync_batch_norm = true, but " + item.key() + " is a " + m.name() +
                       ", which cannot share its statistics across processes; build it with "
                       "ssl::nn::SyncBatchNorm1d/2d (ssl/nn/batch_norm.h) or set sync_batch_norm = false");
    }
  }
  SSL_CHECK(layers > 0, "trainer.sync_batch_norm = true, but ", model_name,
            " has no BatchNorm layer to synchronise; set sync_batch_norm = false");
  return sync;
}

}  // namespace ssl::host
