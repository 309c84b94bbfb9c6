#pragma once
// The one FIFO queue of keys (MoCo's negatives, NNCLR's support set, SwAV's feature queue).
// Its state is two buffers, so a method that registers it as a submodule checkpoints it:
//   "queue" [K, D] float  the keys, row-major, oldest overwritten first
//   "ptr"   [1] int64     the row the next key goes to
//   "count" [1] int64     keys enqueued so far, saturating at K (how many rows are real)
// The queue starts with random unit-norm rows (MoCo v2's initialisation), drawn from the global
// torch generator; move it with .to(device) together with its owner.
#include <ATen/core/Tensor.h>
#include <torch/nn/cloneable.h>
#include <torch/nn/pimpl.h>

#include <cstdint>
#include <iosfwd>

#include "ssl/sdk/export.h"

namespace ssl::nn {

class SSL_SDK_API KeyQueueImpl : public torch::nn::Cloneable<KeyQueueImpl> {
 public:
  KeyQueueImpl(int64_t size, int64_t dim);

  // keys: [B, D] with B <= K; stored detached, rows ptr, ptr+1, ... modulo K (wrapping around).
  void enqueue(const at::Tensor& keys);
  // The queue buffer [K, D] (do not modify it in place; it is read by the loss).
  const at::Tensor& keys() const { return queue_; }
  int64_t size() const { return size_; }
  int64_t dim() const { return dim_; }
  int64_t pointer() const;  // next row to be written (reads the buffer; syncs on CUDA)
  int64_t filled() const;   // rows holding enqueued keys, in [0, K]

  void reset() override;
  void pretty_print(std::ostream& stream) const override;

 private:
  int64_t size_;
  int64_t dim_;
  at::Tensor queue_, ptr_, count_;
};
TORCH_MODULE(KeyQueue);

}  // namespace ssl::nn
