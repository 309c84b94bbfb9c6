#pragma once
// The alarms (alarms.h) as an observer: checks every published record, publishes each alarm
// as a record and prints its line; measures the batch collapse check every
// [alarms] batch_check_every steps; with stop_on_alarm asks the loop to stop (the stop is
// recorded as {"step", "epoch", "stopped_by_alarm": metric}). Rank 0 only.
#include <memory>
#include <string>

#include "alarms.h"
#include "metrics.h"
#include "train_observer.h"

namespace ssl::sdk {
class Method;
}

namespace ssl::host {

class AlarmObserver final : public TrainObserver {
 public:
  AlarmObserver(std::shared_ptr<sdk::Method> method, std::string method_name, AlarmOptions options,
                std::shared_ptr<Console> console);

  void measure(const StepRecord& step, nlohmann::json& measured) override;
  void on_record(const nlohmann::json& record) override;
  void on_stop(const StopEvent& stop) override;

 private:
  std::shared_ptr<sdk::Method> method_;
  std::string method_name_;
  Alarms alarms_;
  std::shared_ptr<Console> console_;
  std::string stopped_by_;  // the metric whose alarm asked to stop
};

}  // namespace ssl::host
