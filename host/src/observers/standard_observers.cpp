#include "observers/standard_observers.h"

#include <memory>

#include "alarms.h"
#include "metrics.h"
#include "observers/alarm_observer.h"
#include "observers/checkpoint_observer.h"
#include "observers/console_observer.h"
#include "observers/evaluation_observer.h"
#include "observers/metrics_observer.h"
#include "observers/report_observer.h"

namespace ssl::host {

void add_standard_observers(ObserverList& list, Runtime& rt, const Optimizer& optimizer) {
  const auto& tr = rt.pipeline->trainer;
  const std::string method_name = rt.pipeline->method.type();
  const int64_t log_every = tr.get_int("log_every");
  auto console = std::make_shared<Console>(tr.get_string("progress"));
  auto evaluation = std::make_shared<EvaluationObserver>(rt, console);

  list.add(std::make_shared<CheckpointObserver>(rt, optimizer, tr.get_int("checkpoint_every"),
                                                static_cast<size_t>(tr.get_int("keep_checkpoints"))));
  list.add(evaluation);
  list.add(
      std::make_shared<AlarmObserver>(rt.method, method_name, AlarmOptions::from_config(rt.pipeline->alarms), console));
  list.add(std::make_shared<MetricsObserver>(rt.run_dir / "metrics.jsonl", method_name, log_every,
                                             [evaluation] { return evaluation->seconds(); }));
  list.add(std::make_shared<ReportObserver>(rt.run_dir));
  list.add(std::make_shared<ConsoleObserver>(console, log_every, rt.run_dir, /*checkpointing=*/true));
}

}  // namespace ssl::host
