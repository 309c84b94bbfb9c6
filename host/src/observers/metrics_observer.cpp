#include "observers/metrics_observer.h"

#include <ATen/core/Tensor.h>

#include <algorithm>
#include <cmath>
#include <utility>

namespace ssl::host {

MetricsObserver::MetricsObserver(std::filesystem::path file, std::string method_name, int64_t log_every,
                                 std::function<double()> eval_seconds)
    : file_(std::move(file)), method_name_(std::move(method_name)), log_every_(std::max<int64_t>(log_every, 1)),
      eval_seconds_(std::move(eval_seconds)) {}

void MetricsObserver::on_start(const RunState& run) {
  run_ = run;
  window_.start(run);
  // A resumed run keeps the records up to its checkpoint and drops what came after it.
  log_ = std::make_unique<MetricsLog>(file_, run.resumed ? run.start.step : -1);
}

nlohmann::json MetricsObserver::step_record(const StepRecord& s) {
  nlohmann::json rec{{"step", s.pos.step},
                     {"epoch", s.pos.epoch},
                     {"loss", s.loss},
                     {"lr", s.lr},
                     {"img_per_s", window_.images_per_second(s)},
                     {"data_wait_s", s.data_wait_s}};
  // The one read of the step's metric tensors (a device sync per log line, not per step).
  for (const auto& [k, v] : s.metrics) rec[method_name_ + "/" + k] = v.defined() ? v.item<double>() : NAN;
  rec.update(s.measured);
  return rec;
}

void MetricsObserver::on_step(const StepRecord& s) {
  if (s.pos.step % log_every_ == 0 || s.epoch_last) {
    publish(step_record(s));
  } else if (!s.measured.empty()) {
    nlohmann::json rec = s.measured;
    rec["step"] = s.pos.step;
    rec["epoch"] = s.pos.epoch;
    publish(rec);
  }
}

void MetricsObserver::on_record(const nlohmann::json& record) {
  if (log_) log_->write(record);
}

void MetricsObserver::on_finish(const FinishEvent& f) {
  // The run's summary (what `ssl-host study` compares): present only when the run finished.
  const double wall_s = run_.seconds_since_start();
  const double eval_s = eval_seconds_ ? eval_seconds_() : 0.0;
  const double train_s = wall_s - eval_s;
  publish(nlohmann::json{{"step", f.end.step},
                         {"epoch", f.epochs_done},
                         {"summary",
                          {{"wall_s", wall_s},
                           {"train_s", train_s},
                           {"eval_s", eval_s},
                           {"steps", f.steps_run},
                           {"train_img_per_s", double(f.steps_run * run_.images_per_step) / std::max(train_s, 1e-9)},
                           {"resumed", run_.resumed}}}});
}

void MetricsObserver::on_stop(const StopEvent& stop) {
  if (stop.reason != StopReason::Failed) return;
  // step: steps done before the failing one (the message names the failing step, 1-based).
  publish(nlohmann::json{
      {"step", stop.pos.step}, {"epoch", stop.pos.epoch}, {"failed", stop.cause}, {"message", stop.message}});
}

}  // namespace ssl::host
