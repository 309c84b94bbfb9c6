#pragma once
// `ssl-host run FILE --nproc N`: a launcher for users without torchrun. It starts N workers
// (this program with the same arguments, minus the launcher's own options) with torchrun's
// variables set (RANK, WORLD_SIZE, LOCAL_RANK, LOCAL_WORLD_SIZE, MASTER_ADDR, MASTER_PORT),
// forwards SIGINT and SIGTERM to them (each one stops after the same step; rank 0 writes the
// checkpoint) and waits. When a worker fails, the others notice the lost peer by themselves; a
// worker still running after the peer timeout and a grace period is terminated.
#include <atomic>
#include <cstdint>
#include <string>
#include <vector>

namespace ssl::host {

struct LaunchOptions {
  int64_t nproc = 0;       // workers on this host
  int64_t nnodes = 1;      // hosts
  int64_t node_rank = 0;   // this host's index: ranks node_rank * nproc ... + nproc - 1
  std::string master_addr; // rank 0's host (default 127.0.0.1 for one host; required for more)
  int64_t master_port = 0; // 0: a free port (one host); required for more
};

// The arguments with the launcher's options (--nproc, --nnodes, --node-rank, --master-addr,
// --master-port, each as "--opt V" or "--opt=V") removed: what each worker is started with.
std::vector<std::string> worker_arguments(const std::vector<std::string>& argv);

// A TCP port the kernel reports free on the loopback interface (it may be taken again before
// it is bound; the binding then fails naming the port).
int64_t free_port();

// Starts the workers and returns the exit status for the launcher: 0 when every worker
// succeeded, 130 when they were interrupted, else the first failing worker's status.
// `stop` (the launcher's SIGINT/SIGTERM flag) is forwarded to the workers once.
int launch_workers(const LaunchOptions& options, const std::vector<std::string>& worker_argv,
                   const std::atomic<bool>* stop);

}  // namespace ssl::host
