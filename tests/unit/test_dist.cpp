// The multi-process layer without processes: torchrun's variables, two Gloo ranks on threads
// of this test (real TCPStore and sockets on the loopback), the gradient reducer and the
// lost-peer error.
#include <catch2/catch.hpp>

#include <ATen/ATen.h>
#include <torch/nn/modules/batchnorm.h>
#include <torch/nn/modules/container/sequential.h>
#include <torch/nn/modules/linear.h>

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "dist/dist_env.h"
#include "dist/grad_reducer.h"
#include "dist/launcher.h"
#include "dist/process_group.h"
#include "dist/run_consistency.h"
#include "dist/sync_batch_norm.h"
#include "ssl/nn/batch_norm.h"
#include "ssl/sdk/comm.h"
#include "ssl/sdk/error.h"

using namespace ssl::host;
using Vars = std::map<std::string, std::string>;

namespace {
std::optional<DistEnv> parse(const Vars& vars) {
  return dist_env_from([&](const std::string& name) -> std::optional<std::string> {
    const auto it = vars.find(name);
    if (it == vars.end()) return std::nullopt;
    return it->second;
  });
}

std::string parse_error(const Vars& vars) {
  try {
    parse(vars);
  } catch (const std::exception& e) {
    return e.what();
  }
  return "";
}

int64_t test_port() { return free_port(); }

DistEnv env_of(int64_t rank, int64_t world, int64_t port) {
  DistEnv e;
  e.rank = rank;
  e.world_size = world;
  e.local_rank = rank;
  e.local_world_size = world;
  e.master_addr = "127.0.0.1";
  e.master_port = port;
  e.peer_timeout = std::chrono::seconds(5);
  e.rendezvous_timeout = std::chrono::seconds(30);
  return e;
}

// Runs fn(comm) for `world` ranks on threads, each with its own process group; rethrows the
// first failure.
void with_ranks(int64_t world, const std::function<void(ProcessGroupComm&)>& fn) {
  const int64_t port = test_port();
  std::vector<std::thread> threads;
  std::vector<std::exception_ptr> errors(static_cast<size_t>(world));
  for (int64_t r = 0; r < world; ++r)
    threads.emplace_back([&, r] {
      try {
        auto comm = connect_process_group(env_of(r, world, port));
        fn(*comm);
        comm->barrier();
      } catch (...) {
        errors[static_cast<size_t>(r)] = std::current_exception();
      }
    });
  for (auto& t : threads) t.join();
  for (auto& e : errors)
    if (e) std::rethrow_exception(e);
}
}  // namespace

TEST_CASE("torchrun's variables: a single process without them, a rank with them") {
  CHECK_FALSE(parse({}).has_value());
  CHECK_FALSE(parse({{"WORLD_SIZE", "1"}, {"RANK", "0"}}).has_value());
  const auto e = parse({{"WORLD_SIZE", "4"}, {"RANK", "3"}, {"LOCAL_RANK", "1"}, {"LOCAL_WORLD_SIZE", "2"},
                        {"MASTER_ADDR", "10.0.0.1"}, {"MASTER_PORT", "29511"}, {"TORCHELASTIC_RESTART_COUNT", "2"},
                        {"TORCHELASTIC_USE_AGENT_STORE", "True"}, {"SSL_DIST_PEER_TIMEOUT_S", "7"}});
  REQUIRE(e.has_value());
  CHECK(e->rank == 3);
  CHECK(e->world_size == 4);
  CHECK(e->local_rank == 1);
  CHECK(e->local_world_size == 2);
  CHECK(e->master_addr == "10.0.0.1");
  CHECK(e->master_port == 29511);
  CHECK(e->restart_count == 2);
  CHECK(e->agent_store);
  CHECK(e->peer_timeout == std::chrono::seconds(7));
  CHECK(e->where() == "rank 3 of 4");
}

TEST_CASE("torchrun's variables: each inconsistency is named with its value") {
  const Vars ok = {{"WORLD_SIZE", "2"}, {"RANK", "1"}, {"MASTER_ADDR", "127.0.0.1"}, {"MASTER_PORT", "29500"}};
  auto with = [&](const std::string& k, const std::string& v) {
    Vars c = ok;
    c[k] = v;
    return parse_error(c);
  };
  auto without = [&](const std::string& k) {
    Vars c = ok;
    c.erase(k);
    return parse_error(c);
  };
  CHECK(parse_error(ok).empty());
  CHECK_THAT(with("RANK", "2"), Catch::Contains("RANK=2 is outside [0, WORLD_SIZE=2)"));
  CHECK_THAT(with("WORLD_SIZE", "two"), Catch::Contains("WORLD_SIZE=two is not an integer"));
  CHECK_THAT(with("MASTER_PORT", "70000"), Catch::Contains("MASTER_PORT=70000 is not a TCP port"));
  CHECK_THAT(with("LOCAL_RANK", "5"), Catch::Contains("LOCAL_RANK=5"));
  CHECK_THAT(with("SSL_DIST_TIMEOUT_S", "0"), Catch::Contains("SSL_DIST_TIMEOUT_S=0"));
  CHECK_THAT(without("RANK"), Catch::Contains("RANK is not"));
  CHECK_THAT(without("MASTER_ADDR"), Catch::Contains("MASTER_ADDR is not set"));
  CHECK_THAT(without("MASTER_PORT"), Catch::Contains("MASTER_PORT is not set"));
  CHECK_THAT(parse_error({{"RANK", "1"}}), Catch::Contains("RANK=1 is set but WORLD_SIZE is not"));
}

TEST_CASE("the launcher passes every argument but its own to the workers") {
  const std::vector<std::string> argv = {"ssl-host", "run", "p.toml", "--nproc", "2", "--master-port=29999",
                                         "--set", "seed=1", "--nnodes", "1", "--output", "out"};
  const std::vector<std::string> expected = {"ssl-host", "run", "p.toml", "--set", "seed=1", "--output", "out"};
  CHECK(worker_arguments(argv) == expected);
}

TEST_CASE("two Gloo ranks: all-reduce, all-gather, broadcast, text exchange and the differentiable collectives") {
  with_ranks(2, [](ProcessGroupComm& comm) {
    const double r = double(comm.rank());
    at::Tensor t = at::full({3}, r + 1.0);
    comm.all_reduce_sum(t);
    CHECK(at::allclose(t, at::full({3}, 3.0)));
    at::Tensor strided = at::arange(6, at::kFloat).view({2, 3}).t() * (r + 1.0);  // not contiguous
    comm.all_reduce_sum(strided);
    CHECK(at::allclose(strided, at::arange(6, at::kFloat).view({2, 3}).t() * 3.0));
    const at::Tensor g = comm.all_gather(at::full({2, 2}, r));
    CHECK(g.sizes() == at::IntArrayRef({4, 2}));
    CHECK(g[3][1].item<float>() == 1.0f);
    at::Tensor b = at::full({2}, r + 5.0);
    comm.broadcast(b, 1);
    CHECK(at::allclose(b, at::full({2}, 6.0)));
    const auto texts = comm.exchange_text("greeting", "hello from " + std::to_string(comm.rank()));
    const std::vector<std::string> expected = {"hello from 0", "hello from 1"};
    CHECK(texts == expected);

    const at::Tensor x = at::full({2, 3}, r + 1.0).set_requires_grad(true);
    (comm.all_gather_with_grad(x).sum() * (r + 1.0)).backward();
    CHECK(at::allclose(x.grad(), at::full({2, 3}, 3.0)));
    const at::Tensor y = at::ones({3}).set_requires_grad(true);
    (comm.all_reduce_sum_with_grad(y).sum() * (r + 1.0)).backward();
    CHECK(at::allclose(y.grad(), at::full({3}, 3.0)));
  });
}

TEST_CASE("a pipeline that differs between ranks is refused naming the rank and the line") {
  std::mutex m;
  std::vector<std::string> messages;
  with_ranks(2, [&](ProcessGroupComm& comm) {
    const std::string mine = comm.rank() == 0 ? "name = \"a\"\nlr = 0.1\n" : "name = \"a\"\nlr = 0.2\n";
    try {
      check_same_run(comm, "resolved pipeline", mine);
    } catch (const std::exception& e) {
      std::lock_guard<std::mutex> lock(m);
      messages.push_back(e.what());
    }
  });
  REQUIRE(messages.size() == 2);  // every rank stops with the same message
  CHECK(messages[0] == messages[1]);
  CHECK_THAT(messages[0], Catch::Contains("rank 1's resolved pipeline differs from rank 0's at line 2: 'lr = 0.2' "
                                          "where rank 0 has 'lr = 0.1'"));
}

TEST_CASE("the gradient reducer leaves every rank the average gradient, in buckets, overlapped with backward") {
  with_ranks(2, [](ProcessGroupComm& comm) {
    // The ranks are threads of one process: nothing here may draw from torch's global generator.
    torch::nn::Linear a(6, 5), b(5, 4);
    std::vector<at::Tensor> params;
    for (auto& p : a->parameters()) params.push_back(p);
    for (auto& p : b->parameters()) params.push_back(p);
    {
      at::NoGradGuard no_grad;  // the same weights on both ranks
      for (size_t k = 0; k < params.size(); ++k)
        params[k].copy_(at::sin(at::arange(params[k].numel(), at::kFloat).view(params[k].sizes()) * 0.37 + double(k)));
    }
    auto batch_of = [](int64_t rank) {
      return at::cos(at::arange(48, at::kFloat).view({8, 6}) * (0.3 + 0.1 * double(rank)));
    };
    // Tiny buckets: several all-reduces per step, started while backward still runs.
    GradReducer reducer(params, comm, BucketSizes{16, 16});
    CHECK(reducer.bucket_params().size() == 4);  // one parameter each
    CHECK(reducer.bucket_params().front().front() == params.size() - 1);  // the last layer's first
    std::vector<at::Tensor> expected(params.size());
    // What each rank's batch gives alone, computed on both ranks to know the average.
    for (int64_t r = 0; r < 2; ++r) {
      const at::Tensor x = batch_of(r);
      for (auto& p : params) p.mutable_grad() = at::Tensor();
      b(at::relu(a(x))).pow(2).sum().backward();
      for (size_t k = 0; k < params.size(); ++k)
        expected[k] = expected[k].defined() ? expected[k] + params[k].grad() / 2 : params[k].grad() / 2;
    }
    for (int step = 0; step < 2; ++step) {  // twice: the buckets are reused
      for (auto& p : params) p.mutable_grad() = at::Tensor();
      const at::Tensor x = batch_of(comm.rank());
      reducer.prepare();
      b(at::relu(a(x))).pow(2).sum().backward();
      reducer.finish();
      for (size_t k = 0; k < params.size(); ++k) CHECK(at::allclose(params[k].grad(), expected[k], 1e-5, 1e-6));
    }
  });
}

TEST_CASE("a lost rank ends the survivor's collective within the peer timeout, naming the rank") {
  const int64_t port = test_port();
  std::string survivor_error;
  double survivor_seconds = 0;
  std::thread rank1([&] {
    auto comm = connect_process_group(env_of(1, 2, port));
    comm->barrier();
    // Leaves without the next collective: its sockets close, as a killed process's do.
  });
  {
    auto comm = connect_process_group(env_of(0, 2, port));
    comm->barrier();
    rank1.join();
    const auto start = std::chrono::steady_clock::now();
    try {
      at::Tensor t = at::ones({4});
      comm->all_reduce_sum(t);
    } catch (const ssl::sdk::Error& e) {
      survivor_error = e.what();
    }
    survivor_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  }
  INFO(survivor_error);
  CHECK_THAT(survivor_error, Catch::Contains("rank 0 of 2") && Catch::Contains("rank 1 of 2 stopped sending heartbeats") &&
                                 Catch::Contains("all_reduce_sum failed"));
  CHECK(survivor_seconds < 5 + 10);  // the peer timeout, the probe and slack: never a hang
}

TEST_CASE("trainer.sync_batch_norm attaches every synchronisable BatchNorm and names a layer that cannot share") {
  auto comm = ssl::sdk::make_local_comm();
  torch::nn::Sequential good(torch::nn::Linear(4, 4), ssl::nn::SyncBatchNorm1d(4), torch::nn::Linear(4, 2),
                             ssl::nn::SyncBatchNorm1d(2));
  const auto sync = enable_sync_batch_norm(*good, *comm, "method");
  REQUIRE(sync != nullptr);
  CHECK(sync->comm == comm.get());
  CHECK_FALSE(sync->active);
  CHECK(good[1]->as<ssl::nn::SyncBatchNorm1dImpl>()->sync() == sync);
  CHECK(good[3]->as<ssl::nn::SyncBatchNorm1dImpl>()->sync() == sync);
  {
    const ActiveBatchNormSync step(sync.get());
    CHECK(sync->active);
  }
  CHECK_FALSE(sync->active);

  torch::nn::Sequential plain(torch::nn::Linear(4, 4), torch::nn::BatchNorm1d(4));
  CHECK_THROWS_WITH(enable_sync_batch_norm(*plain, *comm, "method"),
                    Catch::Contains("method.1 is a torch::nn::BatchNorm1d") && Catch::Contains("ssl::nn::SyncBatchNorm1d/2d"));
  torch::nn::Sequential none(torch::nn::Linear(4, 4));
  CHECK_THROWS_WITH(enable_sync_batch_norm(*none, *comm, "method"), Catch::Contains("method has no BatchNorm layer"));
}
