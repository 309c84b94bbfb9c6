#include "observers/report_observer.h"

#include "report/report.h"

namespace ssl::host {

void ReportObserver::on_record(const nlohmann::json& record) {
  if (record.contains("final")) new_results_ = true;
}

void ReportObserver::on_epoch_end(const EpochEnd& end) {
  if (end.last || !new_results_) return;  // the last epoch: on_finish redraws
  report::refresh_report(run_dir_);
  new_results_ = false;
}

void ReportObserver::on_finish(const FinishEvent& /*finish*/) { report::refresh_report(run_dir_); }

void ReportObserver::on_stop(const StopEvent& stop) {
  if (stop.reason == StopReason::Requested || stop.reason == StopReason::Failed) report::refresh_report(run_dir_);
}

}  // namespace ssl::host
