#pragma once
// Plugin code never writes to std::cout; it logs through the host's sink.
#include <functional>
#include <string>

#include "ssl/sdk/export.h"

namespace ssl::sdk {

enum class LogLevel : int { Debug = 0, Info = 1, Warning = 2 };
using LogSink = std::function<void(LogLevel, const std::string&)>;

// Installed once by the host (process-wide; libssl_sdk.so holds the one copy).
// Without a sink, warnings go to stderr and the rest is dropped.
SSL_SDK_API void set_log_sink(LogSink sink);
SSL_SDK_API void log(LogLevel level, const std::string& message);
inline void log_info(const std::string& message) { log(LogLevel::Info, message); }
inline void log_warning(const std::string& message) { log(LogLevel::Warning, message); }

}  // namespace ssl::sdk
