#include "observers/evaluation_observer.h"

#include <chrono>
#include <utility>

#include "evaluation.h"

namespace ssl::host {

EvaluationObserver::EvaluationObserver(Runtime& runtime, std::shared_ptr<Console> console)
    : rt_(runtime), console_(std::move(console)) {}

void EvaluationObserver::evaluate(int64_t epochs_done, int64_t step, bool final) {
  const auto t0 = std::chrono::steady_clock::now();
  run_evaluators(
      rt_, epochs_done, step, final, [this](const nlohmann::json& record) { publish(record); }, *console_);
  seconds_ += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

void EvaluationObserver::on_epoch_end(const EpochEnd& end) {
  if (!end.last) evaluate(end.epochs_done, end.next.step, false);  // the last epoch: on_finish evaluates
}

void EvaluationObserver::on_finish(const FinishEvent& f) { evaluate(f.epochs_done, f.end.step, true); }

}  // namespace ssl::host
