// The training loop and its observers: ObserverList fan-out, the hooks a tiny real run calls
// in order, how a run starts in a run folder.
#include <catch2/catch.hpp>

#include <ATen/ATen.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "config_tree.h"
#include "diagnostics.h"
#include "fake_plugin.h"
#include "pipeline.h"
#include "registry.h"
#include "run_folder.h"
#include "runtime.h"
#include "train_observer.h"
#include "trainer.h"

using namespace ssl::host;
namespace fs = std::filesystem;

namespace {

// Writes every hook it sees into a shared log as one short line.
class Recorder : public TrainObserver {
 public:
  Recorder(std::string name, std::vector<std::string>& log, bool all_ranks = false)
      : name_(std::move(name)), log_(log), all_ranks_(all_ranks) {}
  bool all_ranks() const override { return all_ranks_; }
  void on_start(const RunState& run) override { log_.push_back(name_ + " start " + std::to_string(run.total_steps)); }
  void measure(const StepRecord& s, nlohmann::json& measured) override {
    log_.push_back(name_ + " measure " + std::to_string(s.pos.step));
    measured[name_] = s.pos.step;
  }
  void on_step(const StepRecord& s) override {
    log_.push_back(name_ + " step " + std::to_string(s.pos.step) + " measured " + std::to_string(s.measured.size()));
  }
  void on_record(const nlohmann::json& r) override {
    if (r.contains("loss") || r.contains("summary") || r.contains("failed") || r.contains("note"))
      log_.push_back(name_ + " record " + r.dump());
  }
  void on_epoch_end(const EpochEnd& e) override {
    log_.push_back(name_ + " epoch_end " + std::to_string(e.epochs_done) + (e.last ? " last" : ""));
  }
  void on_finish(const FinishEvent& f) override { log_.push_back(name_ + " finish " + std::to_string(f.end.step)); }
  void on_stop(const StopEvent& s) override {
    log_.push_back(name_ + " stop " + std::to_string(static_cast<int>(s.reason)) + " " + s.cause + " at " +
                   std::to_string(s.pos.step));
  }
  using TrainObserver::publish;
  using TrainObserver::request_stop;

 private:
  std::string name_;
  std::vector<std::string>& log_;
  bool all_ranks_;
};

// Publishes a note whenever it sees a step record: a record published during a delivery.
class Echo : public TrainObserver {
 public:
  void on_record(const nlohmann::json& r) override {
    if (r.contains("loss")) publish({{"note", "after " + std::to_string(r["step"].get<int>())}});
  }
};

// Fails in on_stop: a failure's own report must still reach the other observers.
class Throwing : public TrainObserver {
 public:
  void on_stop(const StopEvent&) override { throw std::runtime_error("observer failure"); }
};

const char* kTiny = R"(name = "tiny"
seed = 7
threads = 1

[data]
batch_size = 8

[data.train]
type = "counting"
size = 32

[[views]]
count = 2
[[views.ops]]
type = "noise"

[backbone]
type = "flat"

[method]
type = "pull"

[optimizer]
type = "sgd"
lr = 1e-6

[trainer]
epochs = 2
log_every = 2
progress = "none"
)";

struct TinyRun {
  fs::path dir;
  Registry registry;
  Pipeline pipeline;
  Runtime runtime;
};

// A tiny pipeline of the fake plugin (4 steps an epoch), its runtime in a fresh folder.
std::unique_ptr<TinyRun> tiny_run(const std::string& name, const std::vector<std::string>& overrides = {}) {
  const fs::path dir = fs::temp_directory_path() / ("ssl_train_loop_" + name + "_" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  std::ofstream(dir / "p.toml") << kTiny;
  auto run = std::make_unique<TinyRun>();
  run->dir = dir;
  run->registry.load_static(ssl::test::fake_plugin_info());
  Node root = load_document(dir / "p.toml");
  for (const auto& o : overrides) apply_override(root, o);
  run->pipeline = resolve_pipeline(root, run->registry, dir / "p.toml");
  run->runtime = build_runtime(run->pipeline, run->registry, dir / "run");
  fs::create_directories(dir / "run");
  return run;
}

std::vector<nlohmann::json> records(const fs::path& file) {
  std::vector<nlohmann::json> out;
  std::ifstream in(file);
  std::string line;
  while (std::getline(in, line)) out.push_back(nlohmann::json::parse(line));
  return out;
}

bool contains(const std::vector<std::string>& log, const std::string& line) {
  return std::find(log.begin(), log.end(), line) != log.end();
}

}  // namespace

TEST_CASE("every observer sees every record in publication order, nested ones after the current delivery") {
  std::vector<std::string> log;
  ObserverList list;
  auto a = std::make_shared<Recorder>("a", log);
  list.add(a);
  list.add(std::make_shared<Echo>());
  list.add(std::make_shared<Recorder>("b", log));
  a->publish({{"step", 1}, {"loss", 0.5}});
  const std::vector<std::string> want{R"(a record {"loss":0.5,"step":1})", R"(b record {"loss":0.5,"step":1})",
                                      R"(a record {"note":"after 1"})", R"(b record {"note":"after 1"})"};
  CHECK(log == want);
}

TEST_CASE("measure runs on every observer before any on_step sees the measurements") {
  std::vector<std::string> log;
  ObserverList list;
  list.add(std::make_shared<Recorder>("a", log));
  list.add(std::make_shared<Recorder>("b", log));
  StepRecord s;
  s.pos.step = 3;
  list.step(s);
  const std::vector<std::string> want{"a measure 3", "b measure 3", "a step 3 measured 2", "b step 3 measured 2"};
  CHECK(log == want);
}

TEST_CASE("on a rank other than 0 only all-ranks observers are kept") {
  std::vector<std::string> log;
  ObserverList rank1(1);
  CHECK_FALSE(rank1.add(std::make_shared<Recorder>("sink", log)));
  CHECK(rank1.add(std::make_shared<Recorder>("collective", log, /*all_ranks=*/true)));
  CHECK(rank1.size() == 1);
  ObserverList rank0(0);
  CHECK(rank0.add(std::make_shared<Recorder>("sink", log)));
  auto twice = std::make_shared<Recorder>("x", log);
  rank0.add(twice);
  CHECK_THROWS(ObserverList().add(twice));  // an observer belongs to one list
}

TEST_CASE("the first stop request wins and a failing observer does not hide a failure from the others") {
  std::vector<std::string> log;
  ObserverList list;
  auto a = std::make_shared<Recorder>("a", log);
  list.add(std::make_shared<Throwing>());
  list.add(a);
  CHECK_FALSE(list.stop_request().has_value());
  a->request_stop({StopReason::Requested, "first"});
  a->request_stop({StopReason::Requested, "second"});
  REQUIRE(list.stop_request().has_value());
  CHECK(list.stop_request()->cause == "first");
  CHECK_THROWS(list.stop({StopReason::Paused, {}, "", ""}));
  list.stop_after_failure({StopReason::Failed, TrainPosition{0, 2, 2}, "error", "boom"});
  CHECK(contains(log, "a stop 3 error at 2"));
}

TEST_CASE("a tiny run calls start, measure and step per step, epoch ends, then finish, after the standard observers") {
  at::manual_seed(0);
  auto tiny = tiny_run("order");
  std::vector<std::string> log;
  const TrainOutcome outcome = train(tiny->runtime, RunRequest{}, {std::make_shared<Recorder>("r", log)});
  CHECK(outcome == TrainOutcome::Finished);
  std::vector<std::string> hooks;
  for (const auto& line : log)
    if (line.find(" record ") == std::string::npos) hooks.push_back(line);
  std::vector<std::string> want{"r start 8"};
  for (int step = 1; step <= 8; ++step) {
    want.push_back("r measure " + std::to_string(step));
    want.push_back("r step " + std::to_string(step) + " measured 1");
    if (step == 4) want.push_back("r epoch_end 1");
  }
  want.push_back("r epoch_end 2 last");
  want.push_back("r finish 8");
  CHECK(hooks == want);
  // The metrics observer (added before) published the summary last, before the hook reached r.
  REQUIRE(log.size() > 2);
  CHECK(log[log.size() - 2].rfind("r record {\"epoch\":2,\"step\":8,\"summary\"", 0) == 0);
  // Training records every 2 steps (log_every); what an observer measured belongs to its step's
  // record, and a step between log lines with a measurement gets a record of its own.
  const auto m = records(tiny->dir / "run" / "metrics.jsonl");
  REQUIRE(m.size() == 9);
  CHECK(m[0]["step"] == 1);
  CHECK(m[0]["r"] == 1);
  CHECK_FALSE(m[0].contains("loss"));
  CHECK(m[1]["step"] == 2);
  CHECK(m[1]["r"] == 2);
  CHECK(m[1].contains("loss"));
  CHECK(m[7]["epoch"] == 1);
  CHECK(m[8].contains("summary"));
  CHECK(fs::exists(tiny->dir / "run" / "backbone.pt"));
}

TEST_CASE("stop_at_step stops after that step with a checkpoint at its position") {
  at::manual_seed(0);
  auto tiny = tiny_run("pause");
  std::vector<std::string> log;
  RunRequest request;
  request.stop_at_step = 3;
  CHECK(train(tiny->runtime, request, {std::make_shared<Recorder>("r", log)}) == TrainOutcome::Paused);
  CHECK(log.back() == "r stop 1  at 3");
  CHECK_FALSE(contains(log, "r finish 3"));
  CHECK_FALSE(CheckpointDir(tiny->dir / "run" / "checkpoints").latest().empty());
}

TEST_CASE("a non-finite loss stops the run with a failure record naming the failing step") {
  at::manual_seed(0);
  auto tiny = tiny_run("nan", {"optimizer.lr=1e30"});
  std::vector<std::string> log;
  CHECK_THROWS_AS(train(tiny->runtime, RunRequest{}, {std::make_shared<Recorder>("r", log)}), NonFiniteLoss);
  const auto m = records(tiny->dir / "run" / "metrics.jsonl");
  REQUIRE_FALSE(m.empty());
  const auto& failure = m.back();
  CHECK(failure["failed"] == "non-finite loss");
  const int64_t done = failure["step"].get<int64_t>();
  // Messages count steps from 1: the failing step is the one after the steps done.
  CHECK_THAT(failure["message"].get<std::string>(),
             Catch::Contains("[method pull | epoch 1 step " + std::to_string(done + 1) + "]") &&
                 Catch::Contains("the loss is"));
  CHECK(log.back() == "r stop 3 non-finite loss at " + std::to_string(done));
  CHECK(CheckpointDir(tiny->dir / "run" / "checkpoints").latest().empty());  // nothing saved after a failure
}

TEST_CASE("only a method that declares uses_labels trains on labels, and it refuses an unlabelled split") {
  at::manual_seed(0);
  // The fake "pull" method fails its step or epoch hook if it is given a label: every tiny run
  // above checks that a self-supervised method never sees one.
  auto ssl_run = tiny_run("ssl_labels");
  CHECK_FALSE(ssl_run->runtime.uses_labels);
  CHECK(train(ssl_run->runtime, RunRequest{}, {}) == TrainOutcome::Finished);

  auto supervised = tiny_run("labels", {"method.type=\"labelled\"", "data.train.num_classes=3"});
  CHECK(supervised->runtime.uses_labels);
  CHECK(train(supervised->runtime, RunRequest{}, {}) == TrainOutcome::Finished);

  try {
    tiny_run("no_labels", {"method.type=\"labelled\"", "data.train.num_classes=0"});
    FAIL("an unlabelled training split was accepted by a method that trains on labels");
  } catch (const ConfigError& e) {
    CHECK_THAT(e.what(), Catch::Contains("method labelled trains on labels (uses_labels), but the training split "
                                         "[data.train] (dataset counting) has no labels"));
  }
  // The same unlabelled split is fine for a self-supervised method.
  CHECK_NOTHROW(tiny_run("no_labels_ssl", {"data.train.num_classes=0"}));
}

TEST_CASE("a run starts in its folder as the request and the folder say") {
  using Start = RunRequest::Start;
  const fs::path dir = "runs/x";
  std::string note;
  const RunFolderState empty{}, failed_early{true, false, false}, checkpointed{true, true, false},
      finished{true, true, true};
  CHECK(plan_start(Start::New, empty, dir, note) == Start::New);
  CHECK(note.empty());
  CHECK_THROWS_AS(plan_start(Start::New, checkpointed, dir, note), UsageError);
  CHECK_THROWS_AS(plan_start(Start::New, finished, dir, note), UsageError);
  CHECK(plan_start(Start::New, failed_early, dir, note) == Start::Overwrite);
  CHECK_THAT(note, Catch::Contains("stopped before its first checkpoint; starting it again"));
  note.clear();
  CHECK(plan_start(Start::Resume, checkpointed, dir, note) == Start::Resume);
  CHECK(note.empty());
  CHECK(plan_start(Start::Resume, failed_early, dir, note) == Start::Overwrite);
  CHECK_THAT(note, Catch::Contains("--resume: runs/x has no checkpoint yet; starting the run from scratch"));
  CHECK(plan_start(Start::Resume, empty, dir, note) == Start::New);
  CHECK(plan_start(Start::Overwrite, finished, dir, note) == Start::Overwrite);
  CHECK(plan_start(Start::Overwrite, empty, dir, note) == Start::New);
}
