#include "observers/console_observer.h"

#include <fmt/core.h>

#include <algorithm>
#include <string>
#include <utility>

namespace ssl::host {

std::string last_step_text(const TrainPosition& pos) {
  // At an epoch boundary the last step done belongs to the epoch before `pos.epoch`.
  const int64_t epoch = pos.step_in_epoch == 0 && pos.epoch > 0 ? pos.epoch : pos.epoch + 1;
  return fmt::format("epoch {} step {}", epoch, pos.step);
}

ConsoleObserver::ConsoleObserver(std::shared_ptr<Console> console, int64_t log_every, std::filesystem::path run_dir,
                                 bool checkpointing)
    : console_(std::move(console)), log_every_(std::max<int64_t>(log_every, 1)), run_dir_(std::move(run_dir)),
      checkpointing_(checkpointing) {}

void ConsoleObserver::on_start(const RunState& run) {
  run_ = run;
  window_.start(run);
  // Where the stop line of the interrupted process said it stopped.
  if (run.resumed)
    console_->line(fmt::format("resuming at {} (the next step is {})", last_step_text(run.start), run.start.step + 1));
  if (run.total_steps < run.planned_steps) {
    console_->line(fmt::format("trainer.max_steps ends the run after step {}, in epoch {} of {} ({} steps)",
                               run.total_steps, run.epochs_to_run(), run.epochs, run.planned_steps));
  }
}

void ConsoleObserver::on_step(const StepRecord& s) {
  if (s.pos.step % log_every_ != 0 && !s.epoch_last) return;
  const double img_s = window_.images_per_second(s);
  console_->progress(s.pos.epoch, run_.epochs_to_run(), s.pos.step_in_epoch, run_.steps_in_epoch(s.pos.epoch), s.loss,
                     s.lr, img_s, window_.eta_seconds(s), true);
  if (s.epoch_last) console_->finish_bar();  // before the method's epoch hook may print
}

void ConsoleObserver::on_finish(const FinishEvent& f) {
  const double elapsed = run_.seconds_since_start();
  console_->line(fmt::format("done: {} steps in {}; data wait {:.1f}% of the time; run folder {}", f.steps_run,
                             format_duration(elapsed), 100.0 * f.data_wait_s / std::max(elapsed, 1e-9),
                             run_dir_.string()));
}

void ConsoleObserver::on_stop(const StopEvent& stop) {
  console_->finish_bar();
  const std::string saved = checkpointing_ ? "checkpoint saved; " : "";
  switch (stop.reason) {
    case StopReason::Interrupted:
    case StopReason::Paused:
      console_->line(fmt::format("{} at {}: {}continue with --resume",
                                 stop.reason == StopReason::Interrupted ? "interrupted" : "stopped as asked",
                                 last_step_text(stop.pos), saved));
      break;
    case StopReason::Requested:
      console_->line(fmt::format("stopped by {} at step {}: {}see {}", stop.cause, stop.pos.step, saved,
                                 (run_dir_ / "report.html").string()));
      break;
    case StopReason::Failed: break;  // the error itself is reported by the command
  }
}

}  // namespace ssl::host
