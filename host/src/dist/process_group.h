#pragma once
// The multi-process Comm: c10d's TCPStore for the rendezvous and a Gloo process group for the
// collectives (the engine PyTorch's own DistributedDataParallel uses). No c10d header leaks
// from here: the trainer and the gradient reducer see this interface only.
//
// Liveness: every rank publishes a heartbeat through the store once a second. A collective
// waits as long as its peers are alive (up to DistEnv::collective_timeout; an evaluation on
// rank 0 may keep the others waiting for minutes), and fails as soon as one is not: a killed
// process closes its sockets at once, a silent one counts as lost after DistEnv::peer_timeout.
// The error names the lost rank ("rank 1 of 2 is gone ...").
#include <ATen/core/Tensor.h>

#include <memory>
#include <string>
#include <vector>

#include "dist/dist_env.h"
#include "ssl/sdk/comm.h"

namespace ssl::host {

class ProcessGroupComm : public sdk::Comm {
 public:
  // An all-reduce in flight (the gradient reducer overlaps them with the backward pass).
  class Pending {
   public:
    virtual ~Pending();
    // Blocks until done; throws (naming the lost rank) where it failed.
    virtual void wait() = 0;
  };
  // Starts an in-place sum of a contiguous tensor over all ranks.
  virtual std::unique_ptr<Pending> all_reduce_sum_async(at::Tensor tensor, const std::string& what) = 0;
  // Every rank's `text`, in rank order, through the store (the start-up consistency check).
  virtual std::vector<std::string> exchange_text(const std::string& key, const std::string& text) = 0;
  virtual const DistEnv& env() const = 0;
};

// Joins the process group described by `env` (rank 0 hosts the store unless torchrun's agent
// does). Waits for every rank up to env.collective_timeout, then fails naming who is missing.
std::shared_ptr<ProcessGroupComm> connect_process_group(const DistEnv& env);

}  // namespace ssl::host
