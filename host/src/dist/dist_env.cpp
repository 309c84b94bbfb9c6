#include "dist/dist_env.h"

#include <cerrno>
#include <cstdlib>

#include "ssl/sdk/error.h"

namespace ssl::host {

std::string DistEnv::where() const { return "rank " + std::to_string(rank) + " of " + std::to_string(world_size); }

namespace {
// The integer in `text`, or an error naming the variable: "RANK=x is not an integer".
int64_t parse_int(const std::string& name, const std::string& text) {
  errno = 0;
  char* end = nullptr;
  const long long v = std::strtoll(text.c_str(), &end, 10);
  SSL_CHECK(!text.empty() && end == text.c_str() + text.size() && errno == 0, "distributed run: ", name, "=", text,
            " is not an integer");
  return static_cast<int64_t>(v);
}

std::optional<int64_t> int_var(const EnvLookup& lookup, const std::string& name) {
  const auto text = lookup(name);
  if (!text) return std::nullopt;
  return parse_int(name, *text);
}
}  // namespace

std::optional<DistEnv> dist_env_from(const EnvLookup& lookup) {
  const auto world = int_var(lookup, "WORLD_SIZE");
  const auto rank = int_var(lookup, "RANK");
  if (!world) {
    SSL_CHECK(!rank || *rank == 0, "distributed run: RANK=", *rank,
              " is set but WORLD_SIZE is not (start the workers with torchrun or ssl-host run --nproc N)");
    return std::nullopt;
  }
  SSL_CHECK(*world >= 1, "distributed run: WORLD_SIZE=", *world, " must be at least 1");
  if (*world == 1 && (!rank || *rank == 0)) return std::nullopt;
  SSL_CHECK(rank.has_value(), "distributed run: WORLD_SIZE=", *world, " is set but RANK is not");
  SSL_CHECK(*rank >= 0 && *rank < *world, "distributed run: RANK=", *rank, " is outside [0, WORLD_SIZE=", *world, ")");

  DistEnv env;
  env.rank = *rank;
  env.world_size = *world;
  env.local_rank = int_var(lookup, "LOCAL_RANK").value_or(env.rank);
  env.local_world_size = int_var(lookup, "LOCAL_WORLD_SIZE").value_or(env.world_size);
  SSL_CHECK(env.local_world_size >= 1 && env.local_world_size <= env.world_size, "distributed run: LOCAL_WORLD_SIZE=",
            env.local_world_size, " must be in [1, WORLD_SIZE=", env.world_size, "]");
  SSL_CHECK(env.local_rank >= 0 && env.local_rank < env.local_world_size, "distributed run: LOCAL_RANK=",
            env.local_rank, " is outside [0, LOCAL_WORLD_SIZE=", env.local_world_size, ")");
  const auto addr = lookup("MASTER_ADDR");
  SSL_CHECK(addr && !addr->empty(), "distributed run: MASTER_ADDR is not set (the address of rank 0's host)");
  env.master_addr = *addr;
  const auto port = int_var(lookup, "MASTER_PORT");
  SSL_CHECK(port.has_value(), "distributed run: MASTER_PORT is not set (a free TCP port on rank 0's host)");
  SSL_CHECK(*port >= 1 && *port <= 65535, "distributed run: MASTER_PORT=", *port, " is not a TCP port (1..65535)");
  env.master_port = *port;
  env.restart_count = int_var(lookup, "TORCHELASTIC_RESTART_COUNT").value_or(0);
  env.run_id = lookup("TORCHELASTIC_RUN_ID").value_or("");
  env.agent_store = lookup("TORCHELASTIC_USE_AGENT_STORE").value_or("") == "True";
  auto seconds = [&](const char* name, std::chrono::milliseconds& out) {
    if (const auto s = int_var(lookup, name)) {
      SSL_CHECK(*s >= 1 && *s <= 24 * 3600, "distributed run: ", name, "=", *s, " must be 1..86400 seconds");
      out = std::chrono::seconds(*s);
    }
  };
  seconds("SSL_DIST_TIMEOUT_S", env.collective_timeout);
  seconds("SSL_DIST_PEER_TIMEOUT_S", env.peer_timeout);
  seconds("SSL_DIST_RENDEZVOUS_TIMEOUT_S", env.rendezvous_timeout);
  return env;
}

std::optional<DistEnv> dist_env_from_process() {
  return dist_env_from([](const std::string& name) -> std::optional<std::string> {
    const char* v = std::getenv(name.c_str());
    if (!v) return std::nullopt;
    return std::string(v);
  });
}

}  // namespace ssl::host
