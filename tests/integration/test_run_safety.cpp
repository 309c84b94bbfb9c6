// Nothing lost: what a crash, a refused resume, a second process, an absurd budget or a
// damaged checkpoint must not do to a run folder. Each case failed before it was fixed.
#include <sys/stat.h>
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "run_host.h"

using namespace ssl::test;
namespace fs = std::filesystem;

namespace {
std::string smoke() { return shell_quote(source_dir() + "/pipelines/smoke.toml"); }

CommandResult run_smoke(const fs::path& out, const std::string& extra = "") {
  return run_host("run " + smoke() + " --output " + shell_quote(out.string()) +
                  " --set trainer.log_every=1 --set data.workers=2 " + extra);
}

ino_t inode(const fs::path& p) {
  struct stat st {};
  REQUIRE(::stat(p.c_str(), &st) == 0);
  return st.st_ino;
}

size_t lines(const fs::path& p) {
  std::ifstream in(p);
  size_t n = 0;
  for (std::string line; std::getline(in, line);) ++n;
  return n;
}

// Flips one bit of a tensor's bytes near the middle of the file: past the zip container's
// 'Z' alignment padding, which holds no data.
void flip_bit(const fs::path& file) {
  std::vector<char> bytes;
  {
    std::ifstream in(file, std::ios::binary);
    bytes.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  size_t at = bytes.size() / 2;
  while (at + 16 < bytes.size() &&
         std::string(bytes.begin() + static_cast<long>(at), bytes.begin() + static_cast<long>(at) + 16).find('Z') !=
             std::string::npos)
    ++at;
  REQUIRE(at + 16 < bytes.size());
  bytes[at + 8] = static_cast<char>(bytes[at + 8] ^ 0x10);
  std::ofstream(file, std::ios::binary | std::ios::trunc)
      .write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}
}  // namespace

TEST_CASE("a resume replaces metrics.jsonl atomically: a crash in the rewrite cannot empty it") {
  const fs::path d = scratch_dir("safe_metrics");
  REQUIRE(run_smoke(d / "run", "--stop-at-step 8").code == 0);
  const fs::path m = d / "run" / "metrics.jsonl";
  std::ofstream(m, std::ios::app) << "{\"step\": 9, \"loss\": 1.0}\n{\"step\": 10, \"lo";  // after the checkpoint, torn
  const ino_t before = inode(m);
  auto r = run_smoke(d / "run", "--resume --stop-at-step 9");
  INFO(r.err);
  REQUIRE(r.code == 0);
  // A new file renamed over the old one (truncating in place would keep the inode).
  CHECK(inode(m) != before);
  CHECK(lines(m) == 9);  // steps 1..8 kept, the lines after the checkpoint dropped, step 9 trained again
  for (const auto& e : fs::directory_iterator(d / "run")) CHECK(e.path().filename().string().rfind(".metrics", 0) != 0);
}

TEST_CASE("a refused --resume leaves the run folder as it was") {
  const fs::path d = scratch_dir("safe_refused");
  REQUIRE(run_smoke(d / "run", "--stop-at-step 8").code == 0);
  const std::string resolved = slurp(d / "run" / "pipeline.resolved.toml");
  const std::string metrics = slurp(d / "run" / "metrics.jsonl");
  auto width = run_smoke(d / "run", "--resume --set backbone.width=8");
  CHECK(width.code == 2);
  CHECK_THAT(width.err, Catch::Contains("changes what the run in") && Catch::Contains("backbone.width: 16 -> 8") &&
                            Catch::Contains("--overwrite"));
  auto seed = run_smoke(d / "run", "--resume --set seed=5");
  CHECK(seed.code == 2);
  CHECK_THAT(seed.err, Catch::Contains("seed: 0 -> 5"));
  CHECK(slurp(d / "run" / "pipeline.resolved.toml") == resolved);
  CHECK(slurp(d / "run" / "metrics.jsonl") == metrics);
  // What a resume may change is printed and the pipeline of the steps before it is kept.
  auto longer = run_smoke(d / "run", "--resume --set trainer.epochs=3 --set optimizer.lr=0.01 --stop-at-step 9");
  INFO(longer.err);
  CHECK(longer.code == 0);
  CHECK_THAT(longer.out, Catch::Contains("resume: optimizer.lr: 0.05 -> 0.01") &&
                             Catch::Contains("resume: trainer.epochs: 2 -> 3"));
  CHECK(slurp(d / "run" / "pipeline.before_step_8.toml") == resolved);
}

TEST_CASE("a run recorded before a key existed resumes: the missing key counts as its default") {
  const fs::path d = scratch_dir("safe_upgrade");
  REQUIRE(run_smoke(d / "run", "--stop-at-step 4").code == 0);
  // The record of a version without `lars_clip_lr`: the line is not there.
  const fs::path record = d / "run" / "pipeline.resolved.toml";
  std::string recorded = slurp(record);
  const auto at = recorded.find("lars_clip_lr = false\n");
  REQUIRE(at != std::string::npos);
  recorded.erase(at, 21);
  std::ofstream(record, std::ios::trunc) << recorded;
  auto resumed = run_smoke(d / "run", "--resume --stop-at-step 6");
  INFO(resumed.out << resumed.err);
  CHECK(resumed.code == 0);
  CHECK(resumed.out.find("lars_clip_lr") == std::string::npos);  // no change to report
  CHECK_FALSE(fs::exists(d / "run" / "pipeline.before_step_4.toml"));
  // Set to something else than the default, the key is a change the resume reports.
  auto clipped = run_smoke(d / "run", "--resume --set optimizer.lars_clip_lr=true --stop-at-step 8");
  CHECK(clipped.code == 0);
  CHECK_THAT(clipped.out, Catch::Contains("resume: optimizer.lars_clip_lr: false -> true"));
}

TEST_CASE("a second process on a run folder is refused naming the first one's PID, kill -9 frees it") {
  const fs::path d = scratch_dir("safe_lock");
  const fs::path run = d / "run";
  const std::string log = shell_quote((d / "first.log").string());
  // The first run trains for a long time in the background; the shell prints its PID.
  auto started = run_command(shell_quote(host_binary()) + " run " + smoke() + " --output " + shell_quote(run.string()) +
                             " --set trainer.epochs=100000 >" + log + " 2>&1 & echo $!");
  REQUIRE(started.code == 0);
  const std::string pid = started.out.substr(0, started.out.find('\n'));
  struct KillOnExit {
    std::string pid;
    ~KillOnExit() { run_command("kill -9 " + pid + " 2>/dev/null"); }
  } guard{pid};
  REQUIRE(run_command("for i in $(seq 600); do grep -q step " + shell_quote((run / "metrics.jsonl").string()) +
                      " 2>/dev/null && exit 0; sleep 0.1; done; exit 1")
              .code == 0);
  for (const char* how : {"--resume", "--overwrite", ""}) {
    auto second = run_smoke(run, how);
    INFO(how);
    CHECK(second.code == 2);
    CHECK_THAT(second.err, Catch::Contains("is in use by another ssl-host process (PID " + pid + ")"));
  }
  CHECK(run_command("kill -9 " + pid + "; while kill -0 " + pid + " 2>/dev/null; do sleep 0.05; done").code == 0);
  // No stale lock: the killed run continues (or starts again when it had no checkpoint yet).
  auto after = run_smoke(run, "--resume --stop-at-step 2");
  INFO(after.err);
  CHECK(after.code == 0);
}

TEST_CASE("budgets beyond what a run can count are refused with the key that holds them") {
  const fs::path d = scratch_dir("safe_budget");
  for (const auto& [set, key] :
       std::vector<std::pair<std::string, std::string>>{{"trainer.epochs=9223372036854775807", "epochs"},
                                                        {"trainer.epochs=2305843009213693952", "epochs"},
                                                        {"schedule.warmup_epochs=1e300", "warmup_epochs"},
                                                        {"threads=100000", "threads"}}) {
    auto r = run_smoke(d / "run", "--set " + set);
    INFO(set);
    CHECK(r.code == 2);
    CHECK_THAT(r.err, Catch::Contains("'" + key + "'"));
    CHECK_FALSE(fs::exists(d / "run" / "backbone.pt"));
  }
}

TEST_CASE("a damaged newest checkpoint: --resume continues from the newest intact one and says so") {
  const fs::path d = scratch_dir("safe_damaged");
  REQUIRE(run_smoke(d / "run", "--stop-at-step 8 --set trainer.keep_checkpoints=3").code == 0);
  REQUIRE(run_smoke(d / "run", "--resume --stop-at-step 12 --set trainer.keep_checkpoints=3").code == 0);
  const fs::path ckpts = d / "run" / "checkpoints";
  flip_bit(ckpts / "step_000000012.ckpt");
  auto r = run_smoke(d / "run", "--resume --set trainer.keep_checkpoints=3");
  INFO(r.err);
  CHECK(r.code == 0);
  CHECK_THAT(r.err, Catch::Contains("step_000000012.ckpt") && Catch::Contains("damaged") &&
                        Catch::Contains("resuming from the older step_000000008.ckpt") &&
                        !Catch::Contains("Exception raised from"));
  CHECK_THAT(r.out, Catch::Contains("resuming at epoch 1 step 8"));
  CHECK(fs::exists(ckpts / "step_000000012.ckpt.damaged"));
  // Only damaged checkpoints: refused, naming them, nothing trained.
  const fs::path one = d / "one";
  REQUIRE(run_smoke(one, "--stop-at-step 8").code == 0);
  flip_bit(one / "checkpoints" / "step_000000008.ckpt");
  auto refused = run_smoke(one, "--resume");
  CHECK(refused.code == 4);
  CHECK_THAT(refused.err, Catch::Contains("no intact checkpoint") && Catch::Contains("step_000000008.ckpt") &&
                              !Catch::Contains("Exception raised from"));
}

TEST_CASE("a --plugin-path naming something that is not a plugin says what it is") {
  auto r = run_host("--plugin-path /dev/null list");
  CHECK(r.code != 0);
  CHECK_THAT(r.err, Catch::Contains("/dev/null: not a plugin library") && !Catch::Contains("no such plugin file"));
}

TEST_CASE("SIGTERM as soon as the handler is installed is a clean interruption, not a kill") {
  // The handler is installed from .preinit_array, before LibTorch's static initialisers; the
  // signal is sent the moment /proc shows it caught (bit 15 of SigCgt), long before training.
  const fs::path d = scratch_dir("safe_early_term");
  auto r = run_command(
      "(" + shell_quote(host_binary()) + " run " + smoke() + " --output " + shell_quote((d / "run").string()) +
      " & pid=$!; for i in $(seq 20000); do m=$(sed -n 's/^SigCgt:\\s*//p' /proc/$pid/status "
      "2>/dev/null); [ -n \"$m\" ] && (( 0x$m & 0x4000 )) && break; done; kill -TERM $pid; wait $pid)");
  CHECK(r.code == 130);
  CHECK_THAT(r.out, Catch::Contains("interrupted at epoch 1 step 0: checkpoint saved"));
}

namespace {
// Starts the slow-evaluation pipeline in `run`, waits until `wait_for` (relative to the run
// folder) exists, i.e. the evaluation round has begun, then sends SIGTERM. Prints
// "stop_ms=<milliseconds from the signal to the exit>"; exits with the run's code (137 when
// the 60 s guard had to kill it).
CommandResult term_during_eval(const fs::path& run, const std::string& wait_for, const std::string& extra = "") {
  const std::string pipeline = shell_quote(source_dir() + "/tests/integration/pipelines/slow_eval.toml");
  return run_command("(" + shell_quote(host_binary()) + " run " + pipeline + " --output " + shell_quote(run.string()) +
                     " " + extra + " & pid=$!; (sleep 60; kill -9 $pid) 2>/dev/null & guard=$!; " +
                     "for i in $(seq 600); do compgen -G " + shell_quote((run / wait_for).string()) +
                     " >/dev/null && break; sleep 0.05; done; sleep 0.3; s=$(date +%s%N); kill -TERM $pid; "
                     "wait $pid; rc=$?; echo \"stop_ms=$(( ($(date +%s%N) - s) / 1000000 ))\"; "
                     "kill $guard 2>/dev/null; exit $rc)");
}

long stop_ms(const std::string& out) {
  const auto at = out.rfind("stop_ms=");
  return at == std::string::npos ? -1 : std::stol(out.substr(at + 8));
}
}  // namespace

TEST_CASE("SIGTERM during an evaluation round stops between batches, --resume continues") {
  // The round after epoch 1 would run a million probe epochs (about a minute); the stop
  // must come in seconds, with the epoch-1 checkpoint kept and no probe record for the round.
  const fs::path d = scratch_dir("safe_term_eval");
  const fs::path run = d / "run";
  auto r = term_during_eval(run, "checkpoints/*.ckpt");
  INFO(r.out << r.err);
  CHECK(r.code == 130);
  CHECK(stop_ms(r.out) >= 0);
  CHECK(stop_ms(r.out) < 10000);
  CHECK_THAT(r.out, Catch::Contains("interrupted at epoch 1 step 8"));
  CHECK(slurp(run / "metrics.jsonl").find("linear/top1") == std::string::npos);
  auto resumed = run_host("run " + shell_quote(source_dir() + "/tests/integration/pipelines/slow_eval.toml") +
                          " --output " + shell_quote(run.string()) + " --resume --set evaluators.0.epochs=2");
  INFO(resumed.out << resumed.err);
  CHECK(resumed.code == 0);
  CHECK_THAT(slurp(run / "metrics.jsonl"), Catch::Contains("linear/top1") && Catch::Contains("summary"));
}

TEST_CASE("SIGTERM during the final evaluation keeps the final checkpoint, --resume evaluates again") {
  const fs::path d = scratch_dir("safe_term_final_eval");
  const fs::path run = d / "run";
  auto r = term_during_eval(run, "backbone.pt", "--set trainer.epochs=1");
  INFO(r.out << r.err);
  CHECK(r.code == 130);
  CHECK(stop_ms(r.out) >= 0);
  CHECK(stop_ms(r.out) < 10000);
  CHECK_THAT(r.out, Catch::Contains("interrupted at epoch 1 step 8"));
  const std::string before = slurp(run / "metrics.jsonl");
  CHECK(before.find("linear/top1") == std::string::npos);
  CHECK(before.find("summary") == std::string::npos);
  auto resumed = run_host("run " + shell_quote(source_dir() + "/tests/integration/pipelines/slow_eval.toml") +
                          " --output " + shell_quote(run.string()) +
                          " --resume --set trainer.epochs=1 --set evaluators.0.epochs=2");
  INFO(resumed.out << resumed.err);
  CHECK(resumed.code == 0);
  CHECK_THAT(resumed.out, Catch::Contains("[eval linear | epoch 1]"));
  CHECK_THAT(slurp(run / "metrics.jsonl"), Catch::Contains("linear/top1") && Catch::Contains("summary"));
}

TEST_CASE("run sets a short OpenMP spin before libgomp starts, unless the user set one") {
  // OMP_DISPLAY_ENV=verbose makes libgomp print what its initialiser read (to stderr); the run
  // banner says the same. The quick verbs keep libgomp's default (no re-execution).
  const fs::path d = scratch_dir("safe_openmp_wait");
  const auto run = [&](const std::string& env, const std::string& out) {
    return run_command("env -u OMP_WAIT_POLICY -u GOMP_SPINCOUNT OMP_DISPLAY_ENV=verbose " + env + " " +
                       shell_quote(host_binary()) + " run " + smoke() + " --output " + shell_quote((d / out).string()) +
                       " --stop-at-step 1");
  };
  auto plain = run("", "a");
  INFO(plain.out << plain.err);
  CHECK(plain.code == 0);
  CHECK_THAT(plain.err, Catch::Contains("GOMP_SPINCOUNT = '1000'"));
  CHECK_THAT(plain.out, Catch::Contains("(GOMP_SPINCOUNT=1000)"));
  auto passive = run("OMP_WAIT_POLICY=PASSIVE", "b");
  CHECK(passive.code == 0);
  CHECK_THAT(passive.err, Catch::Contains("OMP_WAIT_POLICY = 'PASSIVE'") && !Catch::Contains("'1000'"));
  CHECK_THAT(passive.out, Catch::Contains("(OMP_WAIT_POLICY=PASSIVE)"));
  auto spin = run("GOMP_SPINCOUNT=7", "c");
  CHECK(spin.code == 0);
  CHECK_THAT(spin.err, Catch::Contains("GOMP_SPINCOUNT = '7'"));
  auto quick = run_command("env -u OMP_WAIT_POLICY -u GOMP_SPINCOUNT OMP_DISPLAY_ENV=verbose " +
                           shell_quote(host_binary()) + " validate " + smoke());
  CHECK(quick.code == 0);
  CHECK_THAT(quick.err, Catch::Contains("GOMP_SPINCOUNT = '300000'"));
}
