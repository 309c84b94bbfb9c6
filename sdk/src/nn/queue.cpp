#include "ssl/nn/queue.h"

#include <ATen/ATen.h>
#include <ATen/core/grad_mode.h>

#include <algorithm>
#include <ostream>

#include "ssl/sdk/error.h"

namespace ssl::nn {

KeyQueueImpl::KeyQueueImpl(int64_t size, int64_t dim) : size_(size), dim_(dim) {
  SSL_CHECK(size > 0 && dim > 0, "KeyQueue: size and dim must be > 0, got ", size, " and ", dim);
  reset();
}

void KeyQueueImpl::reset() {
  at::Tensor q = at::randn({size_, dim_});
  q = q / q.norm(2, {1}, true).clamp_min(1e-12);
  queue_ = register_buffer("queue", q);
  ptr_ = register_buffer("ptr", at::zeros({1}, at::kLong));
  count_ = register_buffer("count", at::zeros({1}, at::kLong));
}

void KeyQueueImpl::enqueue(const at::Tensor& keys) {
  SSL_CHECK(keys.dim() == 2 && keys.size(1) == dim_, "KeyQueue: expected keys [B, ", dim_,
            "], got ", keys.sizes());
  const int64_t b = keys.size(0);
  SSL_CHECK(b <= size_, "KeyQueue: cannot enqueue ", b, " keys into a queue of ", size_,
            " (batch size must be <= queue size)");
  if (b == 0) return;
  at::NoGradGuard no_grad;
  const int64_t ptr = pointer();
  const at::Tensor rows = (at::arange(b, ptr_.options()) + ptr).remainder_(size_);
  queue_.index_copy_(0, rows, keys.detach().to(queue_.dtype()));
  ptr_.fill_((ptr + b) % size_);
  count_.fill_(std::min(size_, filled() + b));
}

int64_t KeyQueueImpl::pointer() const { return ptr_.item<int64_t>(); }
int64_t KeyQueueImpl::filled() const { return count_.item<int64_t>(); }

void KeyQueueImpl::pretty_print(std::ostream& stream) const {
  stream << "ssl::nn::KeyQueue(size=" << size_ << ", dim=" << dim_ << ")";
}

}  // namespace ssl::nn
