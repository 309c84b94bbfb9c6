// Data-parallel runs of the real binary: --nproc workers and torchrun reproduce the single
// process's losses, a Ctrl-C stops every rank with a checkpoint that resumes exactly, a killed
// rank ends the run with the lost rank named, and studies are refused.
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <fstream>
#include <map>

#include <unistd.h>

#include "checkpoint.h"
#include "dist/launcher.h"
#include "run_host.h"

using namespace ssl::test;
namespace fs = std::filesystem;

namespace {
std::string pipeline() { return shell_quote(source_dir() + "/tests/integration/pipelines/dist_pixels.toml"); }

std::map<int64_t, double> losses(const fs::path& run) {
  std::map<int64_t, double> out;
  std::ifstream in(run / "metrics.jsonl");
  for (std::string line; std::getline(in, line);) {
    const auto m = nlohmann::json::parse(line);
    if (m.contains("loss")) out[m["step"].get<int64_t>()] = m["loss"].get<double>();
  }
  return out;
}

void check_same_losses(const fs::path& a, const fs::path& b, size_t steps) {
  const auto la = losses(a), lb = losses(b);
  REQUIRE(la.size() == steps);
  REQUIRE(lb.size() == steps);
  for (const auto& [step, loss] : la) CHECK(lb.at(step) == Approx(loss).epsilon(1e-5));
}

// The largest |a - b| / |a| over the steps of two runs' losses.
double largest_relative_difference(const fs::path& a, const fs::path& b) {
  const auto la = losses(a), lb = losses(b);
  double out = 0;
  for (const auto& [step, loss] : la)
    out = std::max(out, std::abs(lb.at(step) - loss) / std::max(std::abs(loss), 1e-12));
  return out;
}
}  // namespace

TEST_CASE(
    "two workers of --nproc reproduce the single-process losses of the same global batch, rank 0 writes the folder") {
  const fs::path d = scratch_dir("dist_nproc");
  REQUIRE(run_host("run " + pipeline() + " --output " + shell_quote((d / "one").string())).code == 0);
  const auto two = run_host("run " + pipeline() + " --nproc 2 --output " + shell_quote((d / "two").string()));
  INFO(two.out << two.err);
  REQUIRE(two.code == 0);
  CHECK_THAT(two.out, Catch::Contains("distributed: 2 processes (Gloo), global batch 32 = 2 x 16 per process"));
  CHECK(count_of(two.out, "run dist_pixels: method simclr") == 1);  // one banner: rank 0's
  check_same_losses(d / "one", d / "two", 16);
  CHECK(fs::exists(d / "two" / "backbone.pt"));
}

TEST_CASE(
    "with sync_batch_norm, 2 processes reproduce the single-process losses on a BatchNorm backbone for 20 steps") {
  const std::string sync_bn = shell_quote(source_dir() + "/tests/integration/pipelines/dist_sync_bn.toml");
  // Another method.type replaces the [method] table: its head sizes are set again after it.
  const std::map<std::string, std::string> methods = {{"simclr", ""},
                                                      {"byol", " --set method.pred_hidden_dim=64"},
                                                      {"barlow_twins", ""},
                                                      {"moco_v2", " --set method.queue_size=256"}};
  for (const auto& [method, extra] : methods) {
    DYNAMIC_SECTION(method) {
      const fs::path d = scratch_dir("dist_sync_bn_" + method);
      const std::string args =
          " --set method.type=" + method + " --set method.proj_hidden_dim=64 --set method.proj_dim=16" + extra;
      const auto one = run_host("run " + sync_bn + args + " --output " + shell_quote((d / "one").string()));
      INFO(one.out << one.err);
      REQUIRE(one.code == 0);
      const auto two = run_host("run " + sync_bn + args + " --nproc 2 --output " + shell_quote((d / "two").string()));
      INFO(two.out << two.err);
      REQUIRE(two.code == 0);
      check_same_losses(d / "one", d / "two", 20);
      WARN(method << ": largest relative loss difference over 20 steps "
                  << largest_relative_difference(d / "one", d / "two"));
    }
  }
}

TEST_CASE(
    "memory banks written by dataset index stay the same on every rank: DeepCluster v2 and DANCE match one process") {
  const std::map<std::string, size_t> pipelines = {{"dist_deepcluster_v2", 24}, {"dist_dance", 16}};
  for (const auto& [name, steps] : pipelines) {
    DYNAMIC_SECTION(name) {
      const std::string file = shell_quote(source_dir() + "/tests/integration/pipelines/" + name + ".toml");
      const fs::path d = scratch_dir(name);
      const auto one = run_host("run " + file + " --output " + shell_quote((d / "one").string()));
      INFO(one.out << one.err);
      REQUIRE(one.code == 0);
      const auto two = run_host("run " + file + " --nproc 2 --output " + shell_quote((d / "two").string()));
      INFO(two.out << two.err);
      REQUIRE(two.code == 0);
      check_same_losses(d / "one", d / "two", steps);
    }
  }
}

TEST_CASE("without sync_batch_norm, the BatchNorm statistics of half batches change the losses") {
  const std::string sync_bn = shell_quote(source_dir() + "/tests/integration/pipelines/dist_sync_bn.toml");
  const fs::path d = scratch_dir("dist_local_bn");
  REQUIRE(run_host("run " + sync_bn + " --output " + shell_quote((d / "one").string())).code == 0);
  const auto two = run_host("run " + sync_bn + " --nproc 2 --set trainer.sync_batch_norm=false --output " +
                            shell_quote((d / "two").string()));
  INFO(two.out << two.err);
  REQUIRE(two.code == 0);
  CHECK(largest_relative_difference(d / "one", d / "two") > 1e-3);
}

TEST_CASE("torchrun starts ssl-host as its workers and the losses are the single process's") {
  if (run_command("command -v torchrun").code != 0) {
    WARN("torchrun is not installed (python3-torch): skipped");
    return;
  }
  const fs::path d = scratch_dir("dist_torchrun");
  REQUIRE(run_host("run " + pipeline() + " --output " + shell_quote((d / "one").string())).code == 0);
  // --redirects 1 --tee 1: Debian's torchrun 1.13 under Python 3.11 fails on its own defaults.
  const auto r = run_command("torchrun --nproc_per_node 2 --master_port 29431 --redirects 1 --tee 1 --log_dir " +
                             shell_quote((d / "logs").string()) + " --no_python " + shell_quote(host_binary()) +
                             " run " + pipeline() + " --output " + shell_quote((d / "two").string()));
  INFO(r.out << r.err);
  REQUIRE(r.code == 0);
  check_same_losses(d / "one", d / "two", 16);
}

TEST_CASE("Ctrl-C on the launcher stops both ranks after the same step with a checkpoint, and --resume is exact") {
  const fs::path d = scratch_dir("dist_sigint");
  REQUIRE(run_host("run " + pipeline() + " --output " + shell_quote((d / "full").string()) + " --set trainer.epochs=6")
              .code == 0);
  const std::string cmd = shell_quote(host_binary()) + " run " + pipeline() +
                          " --nproc 2 --set trainer.epochs=6 --output " + shell_quote((d / "split").string());
  auto r = run_command("(" + cmd + " & pid=$!; for i in $(seq 600); do [ \"$(grep -c loss " +
                       shell_quote((d / "split/metrics.jsonl").string()) +
                       " 2>/dev/null)\" -ge 3 ] && break; sleep 0.05; done; kill -INT $pid; wait $pid)");
  INFO(r.out << r.err);
  CHECK(r.code == 130);
  CHECK_THAT(r.out, Catch::Contains("interrupted at epoch"));
  const auto resumed = run_host("run " + pipeline() + " --nproc 2 --resume --set trainer.epochs=6 --output " +
                                shell_quote((d / "split").string()));
  INFO(resumed.out << resumed.err);
  REQUIRE(resumed.code == 0);
  check_same_losses(d / "full", d / "split", 48);
}

TEST_CASE("a killed rank ends the run within the peer timeout, the survivor naming the lost rank") {
  const fs::path d = scratch_dir("dist_kill");
  const std::string cmd = "SSL_DIST_PEER_TIMEOUT_S=10 " + shell_quote(host_binary()) + " run " + pipeline() +
                          " --nproc 2 --set trainer.epochs=500 --output " + shell_quote((d / "run").string());
  const auto start = std::chrono::steady_clock::now();
  auto r = run_command("(" + cmd + " & pid=$!; for i in $(seq 600); do grep -q loss " +
                       shell_quote((d / "run/metrics.jsonl").string()) +
                       " 2>/dev/null && break; sleep 0.05; done; "
                       "kill -KILL $(pgrep -P $pid | tail -1); wait $pid)");
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  INFO(r.out << r.err);
  CHECK(r.code != 0);
  CHECK_THAT(r.err, Catch::Contains("worker rank 1") && Catch::Contains("killed by signal 9"));
  CHECK_THAT(r.err, Catch::Contains("rank 0 of 2: rank 1 of 2 stopped sending heartbeats"));
  CHECK(seconds < 60);
}

TEST_CASE(
    "torchrun --max_restarts: after a rank is killed the job resumes from its checkpoint and ends with the "
    "uninterrupted run's weights") {
  if (run_command("command -v torchrun").code != 0) {
    WARN("torchrun is not installed (python3-torch): skipped");
    return;
  }
  const fs::path d = scratch_dir("dist_restart");
  const std::string epochs = " --set trainer.epochs=40";
  const auto full =
      run_host("run " + pipeline() + epochs + " --nproc 2 --output " + shell_quote((d / "full").string()));
  INFO(full.out << full.err);
  REQUIRE(full.code == 0);

  const fs::path run = d / "restarted";
  const std::string job = "SSL_DIST_PEER_TIMEOUT_S=10 torchrun --nproc_per_node 2 --max_restarts 1 --master_port " +
                          std::to_string(ssl::host::free_port()) + " --redirects 1 --tee 1 --log_dir " +
                          shell_quote((d / "logs").string()) + " --no_python " + shell_quote(host_binary()) + " run " +
                          pipeline() + epochs + " --resume --output " + shell_quote(run.string());
  // Rank 1 is killed once a checkpoint exists and the run is past it (mid-epoch or later).
  const auto r = run_command("(" + job + " & pid=$!; for i in $(seq 1200); do [ -n \"$(ls " +
                             shell_quote((run / "checkpoints").string()) + " 2>/dev/null)\" ] && [ \"$(grep -c loss " +
                             shell_quote((run / "metrics.jsonl").string()) +
                             " 2>/dev/null)\" -ge 12 ] && break; sleep 0.05; done; "
                             "victim=$(pgrep -P $pid -f 'ssl-host run' | tail -1); echo killing $victim; "
                             "kill -KILL $victim; wait $pid)");
  INFO(r.out << r.err);
  REQUIRE(r.code == 0);
  CHECK_THAT(r.out + r.err, Catch::Contains("resuming"));
  check_same_losses(d / "full", run, 320);
  const auto expected = ssl::host::load_tensors(d / "full" / "backbone.pt");
  const auto got = ssl::host::load_tensors(run / "backbone.pt");
  REQUIRE(got.size() == expected.size());
  for (size_t i = 0; i < expected.size(); ++i) {
    INFO(expected[i].first);
    CHECK(got[i].first == expected[i].first);
    CHECK(at::equal(got[i].second, expected[i].second));
  }
}

TEST_CASE(
    "across hosts: rank 0 and rank 1 in two network namespaces joined by a veth pair train with the loopback's "
    "losses") {
  if (::geteuid() != 0 || run_command("command -v ip").code != 0) {
    WARN("the two-host test needs root and iproute2 (network namespaces): skipped");
    return;
  }
  const std::string tag = std::to_string(::getpid() % 100000);
  const std::string a = "ssl_a" + tag, b = "ssl_b" + tag, va = "sva" + tag, vb = "svb" + tag;
  struct Namespaces {
    std::string a, b;
    ~Namespaces() { run_command("ip netns del " + a + " 2>/dev/null; ip netns del " + b + " 2>/dev/null"); }
  } cleanup{a, b};
  const auto setup =
      run_command("set -e; ip netns add " + a + "; ip netns add " + b + "; ip link add " + va +
                  " type veth peer name " + vb + "; ip link set " + va + " netns " + a + "; ip link set " + vb +
                  " netns " + b + "; ip -n " + a + " addr add 10.213.7.1/24 dev " + va + "; ip -n " + b +
                  " addr add 10.213.7.2/24 dev " + vb + "; ip -n " + a + " link set " + va + " up; ip -n " + b +
                  " link set " + vb + " up; ip -n " + a + " link set lo up; ip -n " + b + " link set lo up");
  if (setup.code != 0) {
    WARN("cannot create network namespaces here (" << setup.err << "): skipped");
    return;
  }
  const fs::path d = scratch_dir("dist_netns");
  REQUIRE(run_host("run " + pipeline() + " --nproc 2 --output " + shell_quote((d / "loopback").string())).code == 0);
  // Each host runs one process; rank 0's address is the veth end in namespace a.
  const std::string node = shell_quote(host_binary()) + " run " + pipeline() +
                           " --nnodes 2 --nproc 1 --master-addr 10.213.7.1 --master-port " +
                           std::to_string(ssl::host::free_port()) + " --output " + shell_quote((d / "hosts").string());
  const auto r = run_command("(ip netns exec " + a + " " + node + " --node-rank 0 & first=$!; ip netns exec " + b +
                             " " + node + " --node-rank 1; second=$?; wait $first; exit $(( $? | second )))");
  INFO(r.out << r.err);
  REQUIRE(r.code == 0);
  CHECK_THAT(r.out, Catch::Contains("distributed: 2 processes (Gloo), global batch 32 = 2 x 16 per process"));
  check_same_losses(d / "loopback", d / "hosts", 16);
}

TEST_CASE("a study is refused under --nproc, naming why") {
  const auto r = run_host("run " + shell_quote(source_dir() + "/tests/integration/pipelines/study_smoke.toml") +
                          " --nproc 2 --output " + shell_quote(scratch_dir("dist_study").string()));
  CHECK(r.code != 0);
  CHECK_THAT(r.err, Catch::Contains("is a study") && Catch::Contains("--nproc"));
}
