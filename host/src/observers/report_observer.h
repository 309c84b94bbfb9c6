#pragma once
// report.html follows the run: redrawn after an epoch's evaluation, when an observer stopped
// the run or it failed, and at the end. Rank 0 only.
#include <filesystem>

#include "train_observer.h"

namespace ssl::host {

class ReportObserver final : public TrainObserver {
 public:
  explicit ReportObserver(std::filesystem::path run_dir) : run_dir_(std::move(run_dir)) {}

  void on_record(const nlohmann::json& record) override;
  void on_epoch_end(const EpochEnd& end) override;
  void on_finish(const FinishEvent& finish) override;
  void on_stop(const StopEvent& stop) override;

 private:
  std::filesystem::path run_dir_;
  bool new_results_ = false;  // evaluator records since the last redraw
};

}  // namespace ssl::host
