#pragma once
// The evaluation schedule: after every epoch the evaluators due then (each one's `every`),
// and all of them when the run finishes; each evaluator's results are published as one
// record (evaluation.h) for the metrics file, the alarms and the report. Runs on every rank:
// evaluators may use collectives.
#include <memory>

#include "metrics.h"
#include "runtime.h"
#include "train_observer.h"

namespace ssl::host {

class EvaluationObserver final : public TrainObserver {
 public:
  EvaluationObserver(Runtime& runtime, std::shared_ptr<Console> console);
  bool all_ranks() const override { return true; }

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
