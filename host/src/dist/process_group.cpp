// c10d's TCPStore + ProcessGroupGloo behind ProcessGroupComm (see process_group.h). Compiled
// with USE_C10D_GLOO (host/CMakeLists.txt): the c10d headers hide the Gloo group without it.
#include "dist/process_group.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <sys/socket.h>
#include <unistd.h>

#include <torch/csrc/distributed/c10d/PrefixStore.hpp>
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>

#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <mutex>
#include <thread>

#include "ssl/sdk/error.h"

namespace ssl::host {

ProcessGroupComm::Pending::~Pending() = default;

namespace {
using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

std::vector<uint8_t> bytes_of(const std::string& s) { return {s.begin(), s.end()}; }
std::string text_of(const std::vector<uint8_t>& b) { return {b.begin(), b.end()}; }
int64_t seconds_of(milliseconds d) { return static_cast<int64_t>(d.count() / 1000); }
// c10d's messages carry a C++ backtrace after their first line.
std::string first_line(std::string s) {
  if (const auto nl = s.find('\n'); nl != std::string::npos) s.resize(nl);
  return s;
}

// Rank 0's store, or torchrun's agent's (every rank a client then), under a prefix of its own.
c10::intrusive_ptr<c10d::Store> open_store(const DistEnv& env, milliseconds timeout, bool may_serve) {
  c10d::TCPStoreOptions o;
  o.port = static_cast<uint16_t>(env.master_port);
  o.isServer = may_serve && !env.agent_store && env.rank == 0;
  o.waitWorkers = false;
  o.timeout = timeout;
  c10::intrusive_ptr<c10d::Store> store = c10::make_intrusive<c10d::TCPStore>(env.master_addr, o);
  if (env.agent_store)  // the prefix torchrun's workers use, so that a restarted attempt starts clean
    store = c10::make_intrusive<c10d::PrefixStore>("/worker/attempt_" + std::to_string(env.restart_count), store);
  return c10::make_intrusive<c10d::PrefixStore>("ssl-host", store);
}

// The address of this host's interface that routes to rank 0 (a UDP connect sends nothing):
// what Gloo binds to, so that peers on other hosts can reach it. GLOO_SOCKET_IFNAME wins.
std::shared_ptr<::gloo::transport::Device> gloo_device(const DistEnv& env) {
  if (const char* ifname = std::getenv("GLOO_SOCKET_IFNAME"); ifname && *ifname)
    return c10d::ProcessGroupGloo::createDeviceForInterface(ifname);
  addrinfo hints{};
  hints.ai_family = AF_INET;
  hints.ai_socktype = SOCK_DGRAM;
  addrinfo* found = nullptr;
  const std::string port = std::to_string(env.master_port);
  SSL_CHECK(::getaddrinfo(env.master_addr.c_str(), port.c_str(), &hints, &found) == 0 && found,
            "distributed run: MASTER_ADDR=", env.master_addr, " does not resolve to an IPv4 address");
  std::string local = "127.0.0.1";
  const int fd = ::socket(AF_INET, SOCK_DGRAM, 0);
  if (fd >= 0) {
    sockaddr_in self{};
    socklen_t len = sizeof(self);
    if (::connect(fd, found->ai_addr, found->ai_addrlen) == 0 &&
        ::getsockname(fd, reinterpret_cast<sockaddr*>(&self), &len) == 0) {
      char buf[INET_ADDRSTRLEN] = {};
      if (::inet_ntop(AF_INET, &self.sin_addr, buf, sizeof(buf))) local = buf;
    }
    ::close(fd);
  }
  ::freeaddrinfo(found);
  return c10d::ProcessGroupGloo::createDeviceForHostname(local);
}

// Publishes this rank's heartbeat once a second and watches the others' (own store connection,
// own thread, so a long collective or an evaluation does not silence it).
class Heartbeat {
 public:
  explicit Heartbeat(const DistEnv& env)
      : env_(env), store_(open_store(env, env.peer_timeout, /*may_serve=*/false)),
        peers_(static_cast<size_t>(env.world_size)) {
    for (auto& p : peers_) p.changed = Clock::now();
    thread_ = std::thread([this] { loop(); });
  }
  ~Heartbeat() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stopping_ = true;
    }
    wake_.notify_all();
    thread_.join();
  }

  // The ranks not heard from since `since` (or the unreachable store), as a sentence; empty if none.
  std::string silent_since(Clock::time_point since) const {
    std::lock_guard<std::mutex> lock(mutex_);
    if (!store_error_.empty())
      return (env_.agent_store ? "torchrun's agent store at " : "rank 0, which hosts the store at ") + env_.master_addr +
             ":" + std::to_string(env_.master_port) + ", is unreachable (" + store_error_ + ")";
    std::string out;
    for (size_t r = 0; r < peers_.size(); ++r) {
      if (static_cast<int64_t>(r) == env_.rank || peers_[r].changed >= since) continue;
      out += (out.empty() ? "" : ", ") + std::string("rank ") + std::to_string(r);
    }
    if (out.empty()) return out;
    return out + " of " + std::to_string(env_.world_size) + " stopped sending heartbeats";
  }
  // After a failed collective: the peers that stay silent for the next heartbeats. A lost
  // peer's last beat may still be read during the first second (beats and reads are each a
  // second apart), so the window opens after it; a live peer's next beat is seen within 2 s.
  std::string probe_after_failure() const {
    std::this_thread::sleep_for(milliseconds(1200));
    const auto since = Clock::now();
    std::this_thread::sleep_for(milliseconds(2200));
    return silent_since(since);
  }

 private:
  struct Peer {
    std::string beat;
    Clock::time_point changed;
  };

  void loop() {
    int64_t beat = 0;
    std::unique_lock<std::mutex> lock(mutex_);
    while (!stopping_) {
      lock.unlock();
      std::string error;
      std::vector<std::pair<size_t, std::string>> seen;
      try {
        store_->set("heartbeat/" + std::to_string(env_.rank), bytes_of(std::to_string(++beat)));
        for (size_t r = 0; r < peers_.size(); ++r) {
          const std::string key = "heartbeat/" + std::to_string(r);
          if (static_cast<int64_t>(r) != env_.rank && store_->check({key})) seen.emplace_back(r, text_of(store_->get(key)));
        }
      } catch (const std::exception& e) {
        error = first_line(e.what());
      }
      lock.lock();
      if (!error.empty() && !stopping_) store_error_ = error;
      for (auto& [r, b] : seen) {
        if (b == peers_[r].beat) continue;
        peers_[r].beat = b;
        peers_[r].changed = Clock::now();
      }
      wake_.wait_for(lock, milliseconds(1000), [&] { return stopping_; });
    }
  }

  DistEnv env_;
  c10::intrusive_ptr<c10d::Store> store_;
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::string store_error_;
  std::vector<Peer> peers_;
  std::thread thread_;
};

class GlooComm final : public ProcessGroupComm {
 public:
  explicit GlooComm(const DistEnv& env) : env_(env) {
    const std::string at = env.master_addr + ":" + std::to_string(env.master_port);
    try {
      store_ = open_store(env, env.rendezvous_timeout, /*may_serve=*/true);
    } catch (const std::exception& e) {
      SSL_FAIL("distributed run, ", env.where(), ": cannot open the store at ", at, " (", first_line(e.what()), ")");
    }
    auto options = c10d::ProcessGroupGloo::Options::create(env.collective_timeout);
    options->devices.push_back(gloo_device(env));
    try {
      group_ = c10::make_intrusive<c10d::ProcessGroupGloo>(c10::make_intrusive<c10d::PrefixStore>("gloo", store_),
                                                           static_cast<int>(env.rank),
                                                           static_cast<int>(env.world_size), options);
    } catch (const std::exception& e) {
      SSL_FAIL("distributed run, ", env.where(), ": not every one of the ", env.world_size, " ranks joined at ", at,
               " within ", seconds_of(env.rendezvous_timeout), " s (are they all started, with distinct RANK values?): ",
               first_line(e.what()));
    }
    heartbeat_ = std::make_unique<Heartbeat>(env);
  }

  int64_t rank() const override { return env_.rank; }
  int64_t world_size() const override { return env_.world_size; }
  const DistEnv& env() const override { return env_; }

  void all_reduce_sum(at::Tensor& tensor) override {
    at::Tensor buf = staged(tensor);
    std::vector<at::Tensor> v{buf};
    wait(group_->allreduce(v), "all_reduce_sum");
    if (!buf.is_same(tensor)) tensor.copy_(buf);
  }

  at::Tensor all_gather(const at::Tensor& tensor) override {
    at::Tensor in = staged(tensor.detach());
    std::vector<std::vector<at::Tensor>> out(1);
    for (int64_t r = 0; r < env_.world_size; ++r) out[0].push_back(at::empty_like(in));
    std::vector<at::Tensor> ins{in};
    wait(group_->allgather(out, ins), "all_gather");
    return at::cat(out[0], 0).to(tensor.device());
  }

  void broadcast(at::Tensor& tensor, int64_t root) override {
    SSL_CHECK(root >= 0 && root < env_.world_size, "broadcast: root ", root, " is not a rank of ", env_.world_size);
    at::Tensor buf = staged(tensor);
    std::vector<at::Tensor> v{buf};
    c10d::BroadcastOptions o;
    o.rootRank = root;
    wait(group_->broadcast(v, o), "broadcast");
    if (!buf.is_same(tensor)) tensor.copy_(buf);
  }

  void barrier() override { wait(group_->barrier(), "barrier"); }

  std::unique_ptr<Pending> all_reduce_sum_async(at::Tensor tensor, const std::string& what) override {
    SSL_CHECK(tensor.is_cpu() && tensor.is_contiguous(), "all_reduce_sum_async: ", what,
              " must be a contiguous CPU tensor for the Gloo backend");
    std::vector<at::Tensor> v{tensor};
    return std::make_unique<GlooPending>(*this, group_->allreduce(v), what);
  }

  std::vector<std::string> exchange_text(const std::string& key, const std::string& text) override {
    std::vector<std::string> all;
    try {
      store_->set("text/" + key + "/" + std::to_string(env_.rank), bytes_of(text));
      for (int64_t r = 0; r < env_.world_size; ++r) all.push_back(text_of(store_->get("text/" + key + "/" + std::to_string(r))));
    } catch (const std::exception& e) {
      fail("exchanging " + key, first_line(e.what()));
    }
    return all;
  }

 private:
  class GlooPending final : public Pending {
   public:
    GlooPending(GlooComm& comm, c10::intrusive_ptr<c10d::Work> work, std::string what)
        : comm_(comm), work_(std::move(work)), what_(std::move(what)) {}
    void wait() override { comm_.wait(work_, what_); }

   private:
    GlooComm& comm_;
    c10::intrusive_ptr<c10d::Work> work_;
    std::string what_;
  };

  // Gloo reduces contiguous CPU tensors; anything else goes through a staging copy.
  static at::Tensor staged(const at::Tensor& t) { return t.is_cpu() && t.is_contiguous() ? t : t.contiguous().cpu(); }

  // Waits in one-second slices while every peer is alive (see process_group.h).
  void wait(const c10::intrusive_ptr<c10d::Work>& work, const std::string& what) const {
    const auto start = Clock::now();
    for (;;) {
      try {
        work->wait(milliseconds(1000));
        return;
      } catch (const std::exception& e) {
        if (work->isCompleted()) fail(what, first_line(e.what()));
      }
      const auto now = Clock::now();
      if (auto silent = heartbeat_->silent_since(now - env_.peer_timeout); !silent.empty())
        fail(what, silent + " for " + std::to_string(seconds_of(env_.peer_timeout)) + " s");
      if (now - start > env_.collective_timeout)
        fail(what, "no result within " + std::to_string(seconds_of(env_.collective_timeout)) +
                       " s although every peer is alive (SSL_DIST_TIMEOUT_S raises the limit)");
    }
  }

  [[noreturn]] void fail(const std::string& what, const std::string& reason) const {
    const std::string lost = heartbeat_ ? heartbeat_->probe_after_failure() : std::string();
    SSL_FAIL("distributed run, ", env_.where(), ": ", lost.empty() ? "" : lost + "; ", what, " failed: ", reason);
  }

  DistEnv env_;
  c10::intrusive_ptr<c10d::Store> store_;
  c10::intrusive_ptr<c10d::ProcessGroupGloo> group_;
  std::unique_ptr<Heartbeat> heartbeat_;
};
}  // namespace

std::shared_ptr<ProcessGroupComm> connect_process_group(const DistEnv& env) {
  SSL_CHECK(env.world_size > 1, "connect_process_group: a world of ", env.world_size, " needs no process group");
  return std::make_shared<GlooComm>(env);
}

}  // namespace ssl::host
