#include "dist/launcher.h"

#include <fmt/core.h>
#include <netinet/in.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <cstdlib>
#include <optional>
#include <thread>

#include "diagnostics.h"
#include "dist/dist_env.h"
#include "ssl/sdk/error.h"

namespace ssl::host {

namespace {
constexpr const char* kLauncherOptions[] = {"--nproc", "--nnodes", "--node-rank", "--master-addr", "--master-port"};

bool is_launcher_option(const std::string& arg, bool& takes_value) {
  for (const char* opt : kLauncherOptions) {
    const std::string o = opt;
    if (arg == o) {
      takes_value = true;
      return true;
    }
    if (arg.rfind(o + "=", 0) == 0) {
      takes_value = false;
      return true;
    }
  }
  return false;
}

}  // namespace

int64_t free_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  SSL_CHECK(fd >= 0, "--nproc: cannot open a socket to find a free port");
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = 0;
  socklen_t len = sizeof(a);
  const bool ok = ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)) == 0 &&
                  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) == 0;
  ::close(fd);
  SSL_CHECK(ok, "--nproc: cannot find a free TCP port (pass --master-port)");
  return ntohs(a.sin_port);
}

namespace {
std::string describe_status(int status) {
  if (WIFEXITED(status)) return fmt::format("exited with status {}", WEXITSTATUS(status));
  if (WIFSIGNALED(status)) return fmt::format("was killed by signal {}", WTERMSIG(status));
  return "stopped";
}

int exit_code_of(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return kExitRuntime;
}

struct Worker {
  int64_t rank = 0;
  pid_t pid = -1;
  bool running = true;
  int status = 0;
};
}  // namespace

std::vector<std::string> worker_arguments(const std::vector<std::string>& argv) {
  std::vector<std::string> out;
  for (size_t i = 0; i < argv.size(); ++i) {
    bool takes_value = false;
    if (i > 0 && is_launcher_option(argv[i], takes_value)) {
      if (takes_value) ++i;
      continue;
    }
    out.push_back(argv[i]);
  }
  return out;
}

int launch_workers(const LaunchOptions& o, const std::vector<std::string>& worker_argv, const std::atomic<bool>* stop) {
  if (o.nproc < 1 || o.nproc > 1024) throw UsageError(fmt::format("--nproc {} must be 1..1024", o.nproc));
  if (o.nnodes < 1) throw UsageError(fmt::format("--nnodes {} must be at least 1", o.nnodes));
  if (o.node_rank < 0 || o.node_rank >= o.nnodes)
    throw UsageError(fmt::format("--node-rank {} is outside [0, --nnodes {})", o.node_rank, o.nnodes));
  if (o.nnodes > 1 && (o.master_addr.empty() || o.master_port == 0))
    throw UsageError("--nnodes > 1 needs --master-addr and --master-port (rank 0's host and a free port on it)");
  if (dist_env_from_process())
    throw UsageError("--nproc inside a distributed run (WORLD_SIZE is set): start either torchrun or --nproc, not both");
  const std::string addr = o.master_addr.empty() ? "127.0.0.1" : o.master_addr;
  const int64_t port = o.master_port > 0 ? o.master_port : free_port();
  const int64_t world = o.nproc * o.nnodes;

  std::vector<char*> args;
  for (const auto& a : worker_argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  std::fflush(stdout);
  std::fflush(stderr);
  std::vector<Worker> workers;
  const pid_t launcher = ::getpid();
  for (int64_t i = 0; i < o.nproc; ++i) {
    Worker w;
    w.rank = o.node_rank * o.nproc + i;
    w.pid = ::fork();
    SSL_CHECK(w.pid >= 0, "--nproc: cannot start worker ", i);
    if (w.pid == 0) {
      // The worker: its own process group (a Ctrl-C reaches the launcher only, which forwards it
      // once), SIGTERM when the launcher dies, torchrun's variables.
      ::setpgid(0, 0);
      ::prctl(PR_SET_PDEATHSIG, SIGTERM);
      if (::getppid() != launcher) std::_Exit(kExitRuntime);
      ::setenv("RANK", std::to_string(w.rank).c_str(), 1);
      ::setenv("WORLD_SIZE", std::to_string(world).c_str(), 1);
      ::setenv("LOCAL_RANK", std::to_string(i).c_str(), 1);
      ::setenv("LOCAL_WORLD_SIZE", std::to_string(o.nproc).c_str(), 1);
      ::setenv("GROUP_RANK", std::to_string(o.node_rank).c_str(), 1);
      ::setenv("MASTER_ADDR", addr.c_str(), 1);
      ::setenv("MASTER_PORT", std::to_string(port).c_str(), 1);
      ::execv("/proc/self/exe", args.data());
      std::fprintf(stderr, "ssl-host --nproc: cannot start a worker: exec failed\n");
      std::_Exit(kExitRuntime);
    }
    workers.push_back(w);
  }
  fmt::print("ssl-host --nproc: {} workers (ranks {}..{} of {}), rendezvous at {}:{}\n", o.nproc, workers.front().rank,
             workers.back().rank, world, addr, port);
  std::fflush(stdout);

  using Clock = std::chrono::steady_clock;
  bool forwarded = false;
  std::optional<Clock::time_point> first_failure;
  int result = 0;
  // The workers notice a lost peer within their peer timeout; after it and a grace period the
  // launcher terminates whoever is left, then kills them.
  const DistEnv defaults;
  const auto grace = defaults.peer_timeout + std::chrono::seconds(15);
  bool terminated = false, killed = false;
  size_t running = workers.size();
  while (running > 0) {
    for (auto& w : workers) {
      if (!w.running) continue;
      int status = 0;
      const pid_t r = ::waitpid(w.pid, &status, WNOHANG);
      if (r != w.pid) continue;
      w.running = false;
      w.status = status;
      --running;
      const int code = exit_code_of(status);
      if (code != 0 && code != kExitInterrupted) {
        fmt::print(stderr, "ssl-host --nproc: worker rank {} (pid {}) {}\n", w.rank, w.pid, describe_status(status));
        if (!first_failure) {
          first_failure = Clock::now();
          result = code;
        }
      } else if (code == kExitInterrupted && result == 0) {
        result = kExitInterrupted;
      }
    }
    if (stop && stop->load() && !forwarded) {
      forwarded = true;
      for (auto& w : workers)
        if (w.running) ::kill(w.pid, SIGINT);
    }
    if (first_failure && !terminated && Clock::now() - *first_failure > grace) {
      terminated = true;
      for (auto& w : workers)
        if (w.running) {
          fmt::print(stderr, "ssl-host --nproc: worker rank {} did not stop after the failure; terminating it\n", w.rank);
          ::kill(w.pid, SIGTERM);
        }
    }
    if (terminated && !killed && Clock::now() - *first_failure > grace + std::chrono::seconds(10)) {
      killed = true;
      for (auto& w : workers)
        if (w.running) ::kill(w.pid, SIGKILL);
    }
    if (running > 0) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return result;
}

}  // namespace ssl::host
