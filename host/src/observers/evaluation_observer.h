#pragma once
// The evaluation schedule: after every epoch the evaluators due then (each one's `every`),
// and all of them when the run finishes; each evaluator's results are published as one
// record (evaluation.h) for the metrics file, the alarms and the report. In a multi-process
// run it runs on rank 0 alone (its parameters are every rank's), with a single-process Comm;
// the other ranks train on and wait in their next collective, which tolerates a long wait while
// rank 0 is alive (dist/process_group.h).
#include <memory>

#include "metrics.h"
#include "runtime.h"
#include "train_observer.h"

namespace ssl::host {

class EvaluationObserver final : public TrainObserver {
 public:
  EvaluationObserver(Runtime& runtime, std::shared_ptr<Console> console);

  void on_epoch_end(const EpochEnd& end) override;
  void on_finish(const FinishEvent& finish) override;

  // Seconds spent evaluating so far.
  double seconds() const { return seconds_; }

 private:
  void evaluate(int64_t epochs_done, int64_t step, bool final);

  Runtime& rt_;
  std::shared_ptr<Console> console_;
  double seconds_ = 0.0;
};

}  // namespace ssl::host
