// Data-parallel runs of the real binary: --nproc workers and torchrun reproduce the single
// process's losses, a Ctrl-C stops every rank with a checkpoint that resumes exactly, a killed
// rank ends the run with the lost rank named, and studies are refused.
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include <chrono>
#include <fstream>
#include <map>

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
}  // namespace

TEST_CASE("two workers of --nproc reproduce the single-process losses of the same global batch, rank 0 writes the folder") {
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
  REQUIRE(run_host("run " + pipeline() + " --output " + shell_quote((d / "full").string()) +
                   " --set trainer.epochs=6").code == 0);
  const std::string cmd = shell_quote(host_binary()) + " run " + pipeline() + " --nproc 2 --set trainer.epochs=6 --output " +
                          shell_quote((d / "split").string());
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

TEST_CASE("a study is refused under --nproc, naming why") {
  const auto r = run_host("run " + shell_quote(source_dir() + "/tests/integration/pipelines/study_smoke.toml") +
                          " --nproc 2 --output " + shell_quote(scratch_dir("dist_study").string()));
  CHECK(r.code != 0);
  CHECK_THAT(r.err, Catch::Contains("is a study") && Catch::Contains("--nproc"));
}
