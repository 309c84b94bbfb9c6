#include "ssl/sdk/log.h"

#include <cstdio>
#include <mutex>

namespace ssl::sdk {

namespace {
std::mutex& sink_mutex() {
  static std::mutex m;
  return m;
}
LogSink& sink() {
  static LogSink s;
  return s;
}
}  // namespace

void set_log_sink(LogSink s) {
  std::lock_guard<std::mutex> lock(sink_mutex());
  sink() = std::move(s);
}

void log(LogLevel level, const std::string& message) {
  std::lock_guard<std::mutex> lock(sink_mutex());
  if (sink()) {
    sink()(level, message);
  } else if (level == LogLevel::Warning) {
    std::fprintf(stderr, "warning: %s\n", message.c_str());
  }
}

}  // namespace ssl::sdk
