#pragma once
// The observers of the training loop: everything that watches a run behind one interface.
//
// Design
// - The loop (trainer.cpp) resumes, steps, ends epochs and finishes; it reports each event to
//   an ObserverList and never knows which observers exist. The progress bar, metrics.jsonl,
//   the alarms, the evaluation schedule, the report and the checkpoints are observers
//   (observers/*.h); train() adds the standard set, callers may add their own.
// - Hooks, in the order the loop calls them: on_start once; for every optimizer step measure
//   (every observer) then on_step (every observer); on_epoch_end after the method's epoch
//   hook; then exactly one of on_finish (the run reached its end) and on_stop (interrupted,
//   paused, stopped at an observer's request, or failed). Observers see each hook in the order
//   they were added. Every hook is a no-op by default.
// - Records: observers publish metrics records (JSON objects, the lines of metrics.jsonl) with
//   publish(); every observer sees every record in on_record, in publication order. A record
//   published while another is being delivered (an alarm raised by a step record) waits until
//   that delivery is complete, so all observers see one stream in one order.
// - Stopping: an observer may ask the loop to stop (request_stop: stop_on_alarm). The loop
//   polls after every step and after every epoch end that is not the last, then calls on_stop
//   with the position a resumed run continues from. A multi-process run agrees on it: the
//   loop sums every rank's request over the ranks at each poll (trainer.cpp, poll_stop), so all
//   ranks stop after the same step.
// - Ranks: in a multi-process run an observer that is not all_ranks() (the default: sinks such
//   as the console, metrics.jsonl, the report, checkpoint files, and the evaluation schedule)
//   is constructed on every rank but kept by ObserverList::add only on rank 0; an observer
//   that takes part in collective work would say all_ranks() = true. Adding a rank-0-only sink
//   therefore never touches the loop.
// - Asynchronous metric reads: StepRecord::metrics are the method's metric tensors, detached,
//   on the training device and not read. Only sinks convert them to numbers (.item()), at
//   their log interval, so a GPU run syncs once per log line, not once per metric and step.
//   The loop itself reads exactly one number per step, the loss, for the non-finite check
//   (one device sync per step; see trainer.h).
// - Counting (see trainer.h): a StepRecord's position is the one after its step, so
//   `pos.step` is the number of optimizer steps done, which is also the 1-based number of the
//   step just run.
#include <ATen/core/Tensor.h>
#include <nlohmann/json.hpp>

#include <chrono>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "checkpoint.h"

namespace ssl::sdk {
struct Batch;
}

namespace ssl::host {

// Facts of the run that do not change while it trains (on_start).
struct RunState {
  int64_t epochs = 0;           // trainer.epochs
  int64_t steps_per_epoch = 0;  // batches per epoch: the longest domain's batches per pass
  // Each domain's batches per pass ("train"; "source" and "target"), in the order of the
  // checkpoint's streams (batch_stream.h).
  std::vector<std::pair<std::string, int64_t>> domain_batches;
  int64_t planned_steps = 0;    // epochs * steps_per_epoch
  int64_t total_steps = 0;      // where the run ends: min(planned_steps, trainer.max_steps)
  int64_t images_per_step = 0;  // the global batch
  TrainPosition start;          // where this process starts (a resumed run: the checkpoint's position)
  bool resumed = false;
  std::chrono::steady_clock::time_point started;  // when this process started training

  // Seconds since `started`.
  double seconds_since_start() const;

  // Epochs that actually run (max_steps may end the run early): ceil(total / per epoch).
  int64_t epochs_to_run() const;
  // Steps epoch `epoch` (0-based) runs: steps_per_epoch, fewer in an epoch that max_steps cuts.
  int64_t steps_in_epoch(int64_t epoch) const;
};

// One optimizer step, after it happened.
struct StepRecord {
  TrainPosition pos;  // after the step: pos.step steps done, pos.step_in_epoch of this epoch
  double loss = 0.0;  // read by the loop for the non-finite check
  double lr = 0.0;
  // training_step's metrics (named without the method prefix), detached and not read.
  std::vector<std::pair<std::string, at::Tensor>> metrics;
  const sdk::Batch* batch = nullptr;  // the step's batch on the device; valid during the hooks only
  bool epoch_last = false;            // the last step of its epoch or of the run
  double elapsed_s = 0.0;             // since this process started training (steady clock)
  double data_wait_s = 0.0;           // time the loop waited for data so far
  // Numbers observers measured on this step in measure() (e.g. the batch collapse check);
  // they belong to this step's metrics record.
  nlohmann::json measured = nlohmann::json::object();
};

struct EpochEnd {
  int64_t epochs_done = 0;  // 1-based number of the epoch that ended
  TrainPosition next;       // where training continues: {epochs_done, steps done, 0}
  bool last = false;        // the run ends now; on_finish follows
};

enum class StopReason { Interrupted, Paused, Requested, Failed };

struct StopRequest {
  StopReason reason = StopReason::Requested;
  std::string cause;  // Requested: what asked (the alarm's metric); Failed: "non-finite loss" or "error"
};

struct StopEvent {
  StopReason reason = StopReason::Interrupted;
  TrainPosition pos;    // where a resumed run continues
  std::string cause;    // see StopRequest
  std::string message;  // Failed: the error as the user will read it
};

struct FinishEvent {
  TrainPosition end;         // {epochs, steps done, 0}: the final checkpoint's position
  int64_t epochs_done = 0;   // epochs completed (fewer than trainer.epochs when max_steps ended the run)
  int64_t steps_run = 0;     // optimizer steps this process ran
  double data_wait_s = 0.0;  // time the loop waited for data
  // Wall time: RunState::seconds_since_start() when the observer needs it (the final
  // evaluation and checkpoint happen inside on_finish).
};

class ObserverList;

class TrainObserver {
 public:
  virtual ~TrainObserver() = default;
  // false: a sink kept on rank 0 only in a multi-process run; true: kept on every rank.
  virtual bool all_ranks() const { return false; }

  virtual void on_start(const RunState& /*run*/) {}
  // Adds numbers measured on this step to `measured` (the step's record); before any on_step.
  virtual void measure(const StepRecord& /*step*/, nlohmann::json& /*measured*/) {}
  virtual void on_step(const StepRecord& /*step*/) {}
  // Every record published during the run (by any observer, this one included).
  virtual void on_record(const nlohmann::json& /*record*/) {}
  virtual void on_epoch_end(const EpochEnd& /*end*/) {}
  virtual void on_finish(const FinishEvent& /*finish*/) {}
  virtual void on_stop(const StopEvent& /*stop*/) {}

 protected:
  // Hands a metrics record to every observer's on_record (see the design note above).
  void publish(const nlohmann::json& record);
  // Asks the loop to stop at its next poll (the first request wins).
  void request_stop(StopRequest request);

 private:
  friend class ObserverList;
  ObserverList* list_ = nullptr;
};

// Fans every hook out to its observers, in the order they were added.
class ObserverList {
 public:
  explicit ObserverList(int64_t rank = 0) : rank_(rank) {}
  ObserverList(const ObserverList&) = delete;
  ObserverList& operator=(const ObserverList&) = delete;

  // Keeps `observer` unless this is not rank 0 and the observer is not all_ranks(); returns
  // whether it was kept. An observer belongs to one list.
  bool add(std::shared_ptr<TrainObserver> observer);
  size_t size() const { return observers_.size(); }

  void start(const RunState& run);
  void step(StepRecord& step);  // measure on every observer, then on_step on every observer
  void epoch_end(const EpochEnd& end);
  void finish(const FinishEvent& finish);
  void stop(const StopEvent& stop);
  // on_stop for a failure: an observer's own error is swallowed, so the failure that stopped
  // the run is the one reported.
  void stop_after_failure(const StopEvent& stop) noexcept;

  void publish(const nlohmann::json& record);
  void request_stop(StopRequest request);
  // The pending stop request, if any (world size 1: this process's; see the design note).
  const std::optional<StopRequest>& stop_request() const { return stop_request_; }

 private:
  int64_t rank_;
  std::vector<std::shared_ptr<TrainObserver>> observers_;
  std::deque<nlohmann::json> pending_;
  bool delivering_ = false;
  std::optional<StopRequest> stop_request_;
};

}  // namespace ssl::host
