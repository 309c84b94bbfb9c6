#include "metrics.h"

#include <fmt/core.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <vector>

#include "atomic_file.h"
#include "ssl/sdk/error.h"

namespace ssl::host {

MetricsLog::MetricsLog(const std::filesystem::path& path, int64_t keep_until_step) : path_(path) {
  if (keep_until_step >= 0) {
    // Resume: the records up to the checkpoint's step replace the file in one atomic rename,
    // so a crash at any moment leaves either the old history or the kept one, never less.
    std::vector<char> kept;
    std::ifstream in(path);
    std::string line;
    while (std::getline(in, line)) {
      auto j = nlohmann::json::parse(line, nullptr, false);
      if (j.is_discarded() || !j.contains("step") || !j["step"].is_number_integer()) continue;  // a torn last line
      if (j["step"].get<int64_t>() > keep_until_step) continue;
      kept.insert(kept.end(), line.begin(), line.end());
      kept.push_back('\n');
    }
    write_file_atomic(path, kept);
  }
  file_ = std::fopen(path.c_str(), keep_until_step >= 0 ? "a" : "w");
  SSL_CHECK(file_ != nullptr, "cannot open ", path.string(), " for writing: ", std::strerror(errno));
}

MetricsLog::~MetricsLog() {
  if (file_) std::fclose(file_);
}

void MetricsLog::write(const nlohmann::json& record) {
  if (!file_) return;
  const std::string line = record.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  if (std::fprintf(file_, "%s\n", line.c_str()) < 0 || std::fflush(file_) != 0) {
    SSL_FAIL("cannot write ", path_.string(), " (disk full?)");
  }
}

std::string format_duration(double s) {
  if (!(s >= 0) || s > 1e7) return "--:--";
  const auto t = static_cast<long long>(s + 0.5);
  if (t >= 3600) return fmt::format("{}:{:02}:{:02}", t / 3600, (t / 60) % 60, t % 60);
  return fmt::format("{:02}:{:02}", t / 60, t % 60);
}

Console::Console(const std::string& mode) {
  quiet_ = mode == "none";
  bar_ = mode == "bar" || (mode == "auto" && ::isatty(STDOUT_FILENO));
}

void Console::progress(int64_t epoch, int64_t epochs, int64_t step, int64_t steps, double loss, double lr,
                       double img_per_s, double eta, bool force_line) {
  if (quiet_) return;
  if (bar_) {
    constexpr int kWidth = 24;
    const int filled = steps > 0 ? static_cast<int>(kWidth * step / steps) : 0;
    std::string bar(static_cast<size_t>(filled), '#');
    bar.resize(kWidth, '.');
    fmt::print("\r\033[Kepoch {}/{} [{}] {}/{}  loss {:.4f}  lr {:.3g}  {:.0f} img/s  ETA {}", epoch + 1, epochs, bar,
               step, steps, loss, lr, img_per_s, format_duration(eta));
    std::fflush(stdout);
    bar_open_ = true;
    return;
  }
  if (!force_line) return;
  fmt::print("epoch {}/{} step {}/{}  loss {:.4f}  lr {:.3g}  {:.0f} img/s  ETA {}\n", epoch + 1, epochs, step, steps,
             loss, lr, img_per_s, format_duration(eta));
  std::fflush(stdout);
}

void Console::finish_bar() {
  if (bar_open_) {
    fmt::print("\n");
    bar_open_ = false;
  }
}

void Console::line(const std::string& text) {
  if (quiet_) return;
  finish_bar();
  fmt::print("{}\n", text);
  std::fflush(stdout);
}

}  // namespace ssl::host
