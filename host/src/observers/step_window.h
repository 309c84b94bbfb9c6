#pragma once
// Throughput over a window of steps, for the sinks that print or log it at an interval.
#include <cstdint>

#include "train_observer.h"

namespace ssl::host {

class StepWindow {
 public:
  // Starts the first window where this process starts training.
  void start(const RunState& run) {
    images_per_step_ = run.images_per_step;
    first_step_ = step_ = run.start.step;
    total_steps_ = run.total_steps;
    elapsed_ = 0.0;
  }
  // Images per second over the steps since the last call (or the start); starts a new window.
  double images_per_second(const StepRecord& s) {
    const double secs = s.elapsed_s - elapsed_;
    const double rate = secs > 0 ? double((s.pos.step - step_) * images_per_step_) / secs : 0.0;
    elapsed_ = s.elapsed_s;
    step_ = s.pos.step;
    return rate;
  }
  // Seconds left at the average pace of this process.
  double eta_seconds(const StepRecord& s) const {
    const int64_t done = s.pos.step - first_step_;
    return s.elapsed_s / double(done > 0 ? done : 1) * double(total_steps_ - s.pos.step);
  }

 private:
  int64_t images_per_step_ = 0, first_step_ = 0, step_ = 0, total_steps_ = 0;
  double elapsed_ = 0.0;
};

}  // namespace ssl::host
