#include "observers/checkpoint_observer.h"

#include "batch_stream.h"
#include "ssl/sdk/backbone.h"

namespace ssl::host {

CheckpointObserver::CheckpointObserver(Runtime& runtime, const Optimizer& optimizer, int64_t every, size_t keep)
    : rt_(runtime), optimizer_(optimizer), every_(every), keep_(keep) {}

void CheckpointObserver::on_start(const RunState& run) {
  steps_per_epoch_ = run.steps_per_epoch;
  domain_batches_ = run.domain_batches;
}

void CheckpointObserver::save(const TrainPosition& pos) {
  if (saved_ && saved_->epoch == pos.epoch && saved_->step == pos.step && saved_->step_in_epoch == pos.step_in_epoch)
    return;  // already saved here (an epoch's checkpoint, then a stop at the same position)
  CheckpointDir dir(rt_.run_dir / "checkpoints");
  Checkpoint c;
  c.position = pos;
  for (const auto& [domain, batches] : domain_batches_)
    c.streams.emplace_back(domain, stream_position(pos, steps_per_epoch_, batches));
  c.model = module_state(*rt_.method);
  c.optimizer = optimizer_.state();
  save_checkpoint(dir.path_for(pos), c);
  dir.prune(keep_);
  saved_ = pos;
}

void CheckpointObserver::on_epoch_end(const EpochEnd& end) {
  if (!end.last && every_ > 0 && end.epochs_done % every_ == 0) save(end.next);
}

void CheckpointObserver::on_finish(const FinishEvent& f) {
  save(f.end);
  save_tensors(rt_.run_dir / "backbone.pt", module_state(*rt_.method->backbone()));
}

void CheckpointObserver::on_stop(const StopEvent& stop) {
  if (stop.reason != StopReason::Failed) save(stop.pos);
}

}  // namespace ssl::host
