#pragma once
// Where this process stands in a multi-process run. The variables are torchrun's (RANK,
// WORLD_SIZE, LOCAL_RANK, LOCAL_WORLD_SIZE, MASTER_ADDR, MASTER_PORT and the elastic agent's
// TORCHELASTIC_RESTART_COUNT / TORCHELASTIC_RUN_ID); `ssl-host run --nproc N` sets the same
// ones for the workers it starts, so both launchers lead here.
#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>

namespace ssl::host {

struct DistEnv {
  int64_t rank = 0, world_size = 1;
  int64_t local_rank = 0, local_world_size = 1;
  std::string master_addr = "127.0.0.1";
  int64_t master_port = 29500;
  int64_t restart_count = 0;  // how often torchrun --max-restarts has restarted the job
  std::string run_id;         // torchrun's rendezvous id (empty when not set)
  // TORCHELASTIC_USE_AGENT_STORE=True: torchrun's agent hosts the store on MASTER_PORT and every
  // rank connects as a client, under the prefix of this restart attempt.
  bool agent_store = false;
  // How long a collective may wait for a peer that is alive (an evaluation on rank 0 can take
  // minutes), and how long a silent peer counts as alive (heartbeats every second).
  std::chrono::milliseconds collective_timeout{std::chrono::minutes(30)};
  std::chrono::milliseconds peer_timeout{std::chrono::seconds(30)};
  // How long the first contact waits for every rank to arrive.
  std::chrono::milliseconds rendezvous_timeout{std::chrono::minutes(5)};

  bool distributed() const { return world_size > 1; }
  // "rank 1 of 2"
  std::string where() const;
};

// Reads the variables through `lookup` (nullopt: not set). nullopt when WORLD_SIZE is unset or
// 1 and RANK is unset or 0: a single-process run. Any inconsistency (a non-number, RANK outside
// [0, WORLD_SIZE), RANK without WORLD_SIZE, a port outside 1..65535) throws naming the variable
// and its value. SSL_DIST_TIMEOUT_S, SSL_DIST_PEER_TIMEOUT_S and SSL_DIST_RENDEZVOUS_TIMEOUT_S
// override the three timeouts.
using EnvLookup = std::function<std::optional<std::string>(const std::string& name)>;
std::optional<DistEnv> dist_env_from(const EnvLookup& lookup);
// The same from this process's environment.
std::optional<DistEnv> dist_env_from_process();

}  // namespace ssl::host
