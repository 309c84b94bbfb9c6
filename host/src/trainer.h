#pragma once
// The training loop: batches -> method.training_step -> backward -> optimizer with schedule
// -> after_step, then the observers (train_observer.h): progress, metrics.jsonl, alarms,
// evaluation schedule, report and checkpoints. The loop itself only resumes, steps, ends
// epochs and finishes; it does not know which observers exist.
//
// Schedule: the run is `total_steps` = min(trainer.epochs * steps per epoch, trainer.max_steps)
// optimizer steps; the learning-rate schedule and the progress line follow that number
// (optim.h says what happens to a warm-up that does not fit).
//
// The one device sync per step: the loop reads the loss (.item()) to stop at the first
// non-finite value before its gradients reach the weights. Everything else a step produces
// (the method's metrics) reaches the observers as detached tensors, read only by the sinks at
// their log interval.
//
// Counting, in everything a user reads (console lines, errors, error contexts such as
// "[method simclr | epoch 3 step 120]"): epochs and steps count from 1. Step N is the N-th
// optimizer step of the run: an error during a step names the step being run (steps done + 1);
// a line about the run between steps (interrupted, stopped, an alarm, "resuming at") names the
// last step done and the epoch it belonged to. metrics.jsonl keeps its fields: "step" is
// the number of optimizer steps done when the record was written (so a training record's step
// is the 1-based number of the step it describes), "epoch" is 0-based in training records and
// the number of epochs done in evaluator records (those with "final").
#include <memory>
#include <stdexcept>
#include <vector>

#include "checkpoint.h"
#include "run_request.h"
#include "runtime.h"
#include "train_observer.h"

namespace ssl::host {

// StoppedByAlarm: an observer asked to stop ([alarms] stop_on_alarm); a checkpoint was saved (exit code 0).
enum class TrainOutcome { Finished, Interrupted, Paused, StoppedByAlarm };

// Trains the runtime's method in its run folder (metrics.jsonl, checkpoints/, backbone.pt,
// report.html) with the standard observers, then `extra_observers` (called after them for
// every hook). Reads stop_requested and stop_at_step from `request`. With `resume_from` the
// run continues from that checkpoint: the caller has already loaded its model state into the
// method (train_in_folder, which checks it fits); this loads the optimizer state and the
// position. A failure is recorded in metrics.jsonl and rethrown.
TrainOutcome train(Runtime& runtime, const RunRequest& request,
                   std::vector<std::shared_ptr<TrainObserver>> extra_observers = {},
                   const Checkpoint* resume_from = nullptr);

// The training loader's options: batch size, workers, seed and shard of the run (what
// train() loads with; the augmentation preview shows the views of its first batch).
LoaderOptions training_loader_options(const Runtime& runtime);
// The target domain's loader options of a two-domain run: the same, with a seed of its own (its
// shuffles and augmentations are not the source's).
LoaderOptions target_loader_options(const Runtime& runtime);

// Thrown when the loss stops being finite (exit code 4, checkpoints untouched).
class NonFiniteLoss : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

}  // namespace ssl::host
