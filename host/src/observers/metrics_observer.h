#pragma once
// metrics.jsonl: every record published during the run, one JSON object per flushed line.
// This observer also makes the training records: every `log_every` steps (and at the last
// step of each epoch) it reads the step's metric tensors -- the only place the step metrics
// become numbers -- and publishes {"step", "epoch", "loss", "lr", "img_per_s", "data_wait_s",
// "<method>/<name>", and what observers measured}; a step with measurements between log steps
// gets a record of its own. A failure is recorded as {"step", "epoch", "failed", "message"} and
// the end of a finished run as {"step", "epoch", "summary": {...}}. Rank 0 only.
#include <filesystem>
#include <functional>
#include <memory>
#include <string>

#include "metrics.h"
#include "observers/step_window.h"
#include "train_observer.h"

namespace ssl::host {

class MetricsObserver final : public TrainObserver {
 public:
  // `eval_seconds`: time spent evaluating so far (kept out of train_s in the summary); may be empty.
  MetricsObserver(std::filesystem::path file, std::string method_name, int64_t log_every,
                  std::function<double()> eval_seconds);

  void on_start(const RunState& run) override;
  void on_step(const StepRecord& step) override;
  void on_record(const nlohmann::json& record) override;
  void on_finish(const FinishEvent& finish) override;
  void on_stop(const StopEvent& stop) override;

 private:
  nlohmann::json step_record(const StepRecord& step);

  std::filesystem::path file_;
  std::string method_name_;
  int64_t log_every_;
  std::function<double()> eval_seconds_;
  std::unique_ptr<MetricsLog> log_;
  RunState run_;
  StepWindow window_;
};

}  // namespace ssl::host
