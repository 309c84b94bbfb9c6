#pragma once
// Where numbers go: metrics.jsonl (one JSON object per line, flushed per line) and the
// console (a live progress bar on a terminal, plain lines otherwise).
#include <nlohmann/json.hpp>

#include <cstdio>
#include <filesystem>
#include <string>

namespace ssl::host {

class MetricsLog {
 public:
  MetricsLog() = default;
  // `keep_until_step` >= 0: an existing file is kept up to that step (resume); < 0: truncated.
  MetricsLog(const std::filesystem::path& path, int64_t keep_until_step);
  ~MetricsLog();
  MetricsLog(const MetricsLog&) = delete;
  MetricsLog& operator=(const MetricsLog&) = delete;
  void write(const nlohmann::json& record);

 private:
  std::filesystem::path path_;
  std::FILE* file_ = nullptr;
};

class Console {
 public:
  explicit Console(const std::string& mode);  // auto | bar | plain | none
  void progress(int64_t epoch, int64_t epochs, int64_t step_in_epoch, int64_t steps_per_epoch, double loss, double lr,
                double img_per_s, double eta_seconds, bool force_line);
  void line(const std::string& text);
  void finish_bar();

 private:
  bool bar_ = false, quiet_ = false, bar_open_ = false;
};

std::string format_duration(double seconds);

}  // namespace ssl::host
