#pragma once
// Checkpoints (checkpoint.h, written atomically): every `every` epochs, when the run is
// interrupted, paused or stopped at an observer's request, and at the end, which also exports
// backbone.pt. Never after a failure: the last checkpoint stays the last good state. Rank 0 only.
#include <optional>

#include "checkpoint.h"
#include "optim.h"
#include "runtime.h"
#include "train_observer.h"

namespace ssl::host {

class CheckpointObserver final : public TrainObserver {
 public:
  // `every`: epochs between checkpoints (0: only at stops and the end); `keep`: newest kept.
  CheckpointObserver(Runtime& runtime, const Optimizer& optimizer, int64_t every, size_t keep);

  void on_start(const RunState& run) override;
  void on_epoch_end(const EpochEnd& end) override;
  void on_finish(const FinishEvent& finish) override;
  void on_stop(const StopEvent& stop) override;

 private:
  void save(const TrainPosition& pos);

  Runtime& rt_;
  const Optimizer& optimizer_;
  int64_t every_;
  size_t keep_;
  std::optional<TrainPosition> saved_;  // the position saved last by this process
  int64_t steps_per_epoch_ = 0;
  std::vector<std::pair<std::string, int64_t>> domain_batches_;  // RunState::domain_batches
};

}  // namespace ssl::host
