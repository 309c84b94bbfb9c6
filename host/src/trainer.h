#pragma once
// The training loop: batches -> method.training_step -> backward -> optimizer with schedule
// -> after_step -> metrics -> evaluators every N epochs -> atomic checkpoints.
#include <atomic>
#include <filesystem>

#include "runtime.h"

namespace ssl::host {

// StoppedByAlarm: [alarms] stop_on_alarm fired; a checkpoint was saved (exit code 0).
enum class TrainOutcome { Finished, Interrupted, Paused, StoppedByAlarm };

struct TrainOptions {
  bool resume = false;
  std::atomic<bool>* stop_requested = nullptr;  // set by SIGINT/SIGTERM
  int64_t stop_at_step = 0;  // > 0: checkpoint and stop once this many steps are done (time-sliced jobs)
};

// Trains the runtime's method; writes metrics.jsonl, checkpoints/, backbone.pt into the run dir.
TrainOutcome train(Runtime& runtime, const TrainOptions& options);

// Thrown when the loss stops being finite (exit code 4, checkpoints untouched).
class NonFiniteLoss : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

}  // namespace ssl::host
