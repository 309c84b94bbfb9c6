#include "train_observer.h"

#include <algorithm>

#include "ssl/sdk/error.h"

namespace ssl::host {

int64_t RunState::epochs_to_run() const {
  if (steps_per_epoch <= 0) return epochs;
  return std::min(epochs, (total_steps + steps_per_epoch - 1) / steps_per_epoch);
}

int64_t RunState::steps_in_epoch(int64_t epoch) const {
  return std::clamp<int64_t>(total_steps - epoch * steps_per_epoch, 0, steps_per_epoch);
}

double RunState::seconds_since_start() const {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
}

void TrainObserver::publish(const nlohmann::json& record) {
  SSL_CHECK(list_ != nullptr, "an observer published a record before it was added to an ObserverList");
  list_->publish(record);
}

void TrainObserver::request_stop(StopRequest request) {
  SSL_CHECK(list_ != nullptr, "an observer asked to stop before it was added to an ObserverList");
  list_->request_stop(std::move(request));
}

bool ObserverList::add(std::shared_ptr<TrainObserver> observer) {
  SSL_CHECK(observer != nullptr, "ObserverList::add: no observer");
  SSL_CHECK(observer->list_ == nullptr, "ObserverList::add: the observer already belongs to a list");
  if (rank_ != 0 && !observer->all_ranks()) return false;
  observer->list_ = this;
  observers_.push_back(std::move(observer));
  return true;
}

void ObserverList::start(const RunState& run) {
  for (auto& o : observers_) o->on_start(run);
}

void ObserverList::step(StepRecord& step) {
  for (auto& o : observers_) o->measure(step, step.measured);
  for (auto& o : observers_) o->on_step(step);
}

void ObserverList::epoch_end(const EpochEnd& end) {
  for (auto& o : observers_) o->on_epoch_end(end);
}

void ObserverList::finish(const FinishEvent& finish) {
  for (auto& o : observers_) o->on_finish(finish);
}

void ObserverList::stop(const StopEvent& stop) {
  for (auto& o : observers_) o->on_stop(stop);
}

void ObserverList::stop_after_failure(const StopEvent& stop) noexcept {
  pending_.clear();
  delivering_ = false;
  for (auto& o : observers_) {
    try {
      o->on_stop(stop);
    } catch (...) {  // NOLINT(bugprone-empty-catch): the run's own failure is the error to report
    }
    pending_.clear();
    delivering_ = false;
  }
}

void ObserverList::publish(const nlohmann::json& record) {
  pending_.push_back(record);
  if (delivering_) return;  // the outer publish delivers it after the current record
  delivering_ = true;
  try {
    while (!pending_.empty()) {
      const nlohmann::json next = std::move(pending_.front());
      pending_.pop_front();
      for (auto& o : observers_) o->on_record(next);
    }
  } catch (...) {
    pending_.clear();
    delivering_ = false;
    throw;
  }
  delivering_ = false;
}

void ObserverList::request_stop(StopRequest request) {
  if (!stop_request_) stop_request_ = std::move(request);
}

}  // namespace ssl::host
