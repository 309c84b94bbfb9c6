#include "observers/alarm_observer.h"

#include <fmt/core.h>

#include <algorithm>
#include <utility>

#include "runtime.h"
#include "ssl/sdk/method.h"

namespace ssl::host {

AlarmObserver::AlarmObserver(std::shared_ptr<sdk::Method> method, std::string method_name, AlarmOptions options,
                             std::shared_ptr<Console> console)
    : method_(std::move(method)), method_name_(std::move(method_name)), alarms_(options), console_(std::move(console)) {
}

void AlarmObserver::measure(const StepRecord& s, nlohmann::json& measured) {
  if (s.batch == nullptr || s.batch->views.empty()) return;
  const int64_t every = alarms_.options().batch_check_every;
  try {
    if (!alarms_.has_dimension("embedding")) learn_dimensions(alarms_, *method_, s.batch->views.front());
    if (every <= 0 || s.pos.step % every != 0) return;
    const BatchCollapse check = batch_collapse(*method_, s.batch->views.front());
    alarms_.set_dimension("batch", std::min(check.n, check.dim));
    measured["batch/std_sqrt_d"] = check.std_sqrt_d;
    measured["batch/rankme"] = check.rankme;
  } catch (...) {
    rethrow_with_context("method " + method_name_,
                         fmt::format("epoch {} step {} batch check", s.pos.epoch + 1, s.pos.step));
  }
}

void AlarmObserver::on_record(const nlohmann::json& record) {
  if (!record.is_object() || record.contains("alarm")) return;
  // Training records count epochs from 0, evaluator records ("final") hold the epochs done.
  const int64_t epoch = record.value("epoch", int64_t(0));
  const auto events = alarms_.observe(record, record.contains("final") ? epoch : epoch + 1);
  for (const auto& e : events) {
    publish(e.record());
    console_->line(e.line());
  }
  if (!events.empty() && alarms_.options().stop_on_alarm && stopped_by_.empty()) {
    stopped_by_ = events.front().metric;
    request_stop({StopReason::Requested, "the alarm on " + stopped_by_});
  }
}

void AlarmObserver::on_stop(const StopEvent& stop) {
  if (stop.reason != StopReason::Requested || stopped_by_.empty()) return;
  publish(nlohmann::json{{"step", stop.pos.step}, {"epoch", stop.pos.epoch}, {"stopped_by_alarm", stopped_by_}});
}

}  // namespace ssl::host
