#include "dance_losses.h"

#include <ATen/ATen.h>

#include "ssl/nn/losses.h"
#include "ssl/sdk/comm.h"
#include "ssl/sdk/error.h"

namespace ssl::plugins::method_adaptation {

at::Tensor row_entropy(const at::Tensor& logits) {
  const at::Tensor log_p = at::log_softmax(logits, 1);
  return -(log_p.exp() * log_p).sum(1);
}

at::Tensor mean_entropy(const at::Tensor& logits) { return row_entropy(logits).mean(); }

at::Tensor entropy_separation(const at::Tensor& logits, double rho, double margin) {
  SSL_CHECK(logits.dim() == 2 && logits.size(0) > 0, "entropy_separation: logits must be [N, K], got ", logits.sizes());
  SSL_CHECK(margin >= 0, "entropy_separation: the margin must be >= 0, got ", margin);
  return -at::clamp_min((row_entropy(logits) - rho).abs(), margin).mean();
}

at::Tensor neighbourhood_clustering(const at::Tensor& f, const at::Tensor& index, const at::Tensor& memory,
                                    const at::Tensor& class_logits, double temperature, sdk::Comm* comm) {
  SSL_CHECK(f.dim() == 2 && memory.dim() == 2 && f.size(1) == memory.size(1), "neighbourhood_clustering: features ",
            f.sizes(), " and memory ", memory.sizes(), " must be [B, D] and [N, D]");
  SSL_CHECK(index.dim() == 1 && index.size(0) == f.size(0) && class_logits.size(0) == f.size(0),
            "neighbourhood_clustering: ", f.size(0), " features, ", index.sizes(), " indices and ",
            class_logits.sizes(), " logits do not match");
  SSL_CHECK(temperature > 0, "neighbourhood_clustering: the temperature must be > 0");
  const bool global = comm != nullptr && comm->world_size() > 1;
  const at::Tensor batch = global ? comm->all_gather_with_grad(f) : f;             // [Bg, D]
  const at::Tensor batch_index = global ? comm->all_gather(index) : index;          // [Bg]
  const int64_t offset = global ? comm->rank() * f.size(0) : 0;  // this rank's rows in the global batch
  const double masked = -1.0 / temperature;
  at::Tensor to_memory = at::mm(f, memory.detach().t()) / temperature;              // [B, N]
  to_memory = to_memory.index_fill(1, batch_index, masked);                          // the batch's stale slots
  at::Tensor to_batch = at::mm(f, batch.t()) / temperature;                          // [B, Bg]
  const at::Tensor self =
      at::eye(f.size(0), batch.size(0), f.options().dtype(at::kBool)).roll(offset, 1);  // each row's own column
  to_batch = to_batch.masked_fill(self, masked);
  return mean_entropy(at::cat({class_logits, to_memory, to_batch}, 1));
}

void update_memory(at::Tensor& memory, const at::Tensor& index, const at::Tensor& f, double momentum) {
  SSL_CHECK(momentum >= 0 && momentum < 1, "update_memory: the momentum must be in [0, 1), got ", momentum);
  at::NoGradGuard no_grad;
  const at::Tensor mixed = memory.index_select(0, index) * momentum + f.detach().to(memory.dtype()) * (1 - momentum);
  memory.index_copy_(0, index, nn::l2_normalize(mixed));
}

}  // namespace ssl::plugins::method_adaptation
