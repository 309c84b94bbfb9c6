#pragma once
// trainer.sync_batch_norm: every BatchNorm of the method (backbone, heads, momentum copies)
// normalises with the statistics of the global batch during training steps.
#include <memory>
#include <string>

#include "ssl/nn/batch_norm.h"

namespace torch::nn {
class Module;
}
namespace ssl::sdk {
class Comm;
}

namespace ssl::host {

// Attaches one BatchNormSync over `comm` to every ssl::nn::SyncBatchNorm layer of `model` and
// returns it (inactive). Throws, naming the module, if a torch::nn::BatchNorm layer that cannot
// synchronise is found, or if there is no BatchNorm at all (the option would do nothing).
std::shared_ptr<nn::BatchNormSync> enable_sync_batch_norm(torch::nn::Module& model, sdk::Comm& comm,
                                                          const std::string& model_name);

// Makes the synchronised layers use the global batch for the guard's lifetime (a training step).
class ActiveBatchNormSync {
 public:
  explicit ActiveBatchNormSync(nn::BatchNormSync* sync) : sync_(sync) {
    if (sync_) sync_->active = true;
  }
  ~ActiveBatchNormSync() {
    if (sync_) sync_->active = false;
  }
  ActiveBatchNormSync(const ActiveBatchNormSync&) = delete;
  ActiveBatchNormSync& operator=(const ActiveBatchNormSync&) = delete;

 private:
  nn::BatchNormSync* sync_;
};

}  // namespace ssl::host
