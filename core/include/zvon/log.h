// Logging with levels. Thread-safe: any thread may log.
#pragma once
#include <sstream>
#include <string>
#include <string_view>

namespace zvon {

enum class LogLevel { Debug = 0, Verbose = 1, Notice = 2, Warning = 3, Error = 4 };

std::string_view to_string(LogLevel);
bool parse_log_level(std::string_view, LogLevel& out);

// The minimum level that is written; set from zvon.conf and the console.
void set_log_level(LogLevel);
LogLevel log_level();
bool log_enabled(LogLevel);

// Writes one line "[time] LEVEL[thread] source: message" to stderr (or the log file) and
// publishes it to log listeners (the console). `source` names the module or subsystem.
void log_line(LogLevel, std::string_view source, std::string_view message);

template <class... Args>
void log(LogLevel level, std::string_view source, const Args&... args) {
  if (!log_enabled(level)) return;
  std::ostringstream out;
  (out << ... << args);
  log_line(level, source, out.str());
}

// Concatenates anything streamable: cat("port ", 5060) == "port 5060".
template <class... Args>
std::string cat(const Args&... args) {
  std::ostringstream out;
  (out << ... << args);
  return out.str();
}

}  // namespace zvon
