#pragma once
// The console: the progress bar or line, where the run starts, stops and ends. Rank 0 only.
#include <filesystem>
#include <memory>
#include <string>

#include "metrics.h"
#include "observers/step_window.h"
#include "train_observer.h"

namespace ssl::host {

class ConsoleObserver final : public TrainObserver {
 public:
  // `log_every`: steps between progress lines (the bar too, and the last step of each epoch).
  // `checkpointing`: a checkpoint observer saves on interrupt/pause/stop (the stop lines say so).
  ConsoleObserver(std::shared_ptr<Console> console, int64_t log_every, std::filesystem::path run_dir,
                  bool checkpointing);

  void on_start(const RunState& run) override;
  void on_step(const StepRecord& step) override;
  void on_finish(const FinishEvent& finish) override;
  void on_stop(const StopEvent& stop) override;

 private:
  std::shared_ptr<Console> console_;
  int64_t log_every_;
  std::filesystem::path run_dir_;
  bool checkpointing_;
  RunState run_;
  StepWindow window_;
};

// "epoch E step N" for the last step done before `pos` (1-based both; step 0: none yet).
std::string last_step_text(const TrainPosition& pos);

}  // namespace ssl::host
