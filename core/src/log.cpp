#include "zvon/log.h"

#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <memory>
#include <mutex>
#include <vector>
#include <cstring>
#include <cerrno>
#include <cctype>

#include "log_sink.h"

namespace zvon {
namespace {

struct Listener {
  uint64_t id;
  std::function<void(LogLevel, std::string_view)> fn;
};

// The process's one log sink: a core registry like the others.
struct LogSink {
  std::atomic<int> level{int(LogLevel::Notice)};
  std::atomic<bool> to_stderr{true};
  std::mutex mutex;  // guards file and listeners; logging is not on the per-packet path
  std::unique_ptr<FILE, int (*)(FILE*)> file{nullptr, fclose};
  std::vector<Listener> listeners;
  uint64_t next_id = 1;
};

LogSink& sink() {
  static LogSink s;
  return s;
}

}  // namespace

std::string_view to_string(LogLevel l) {
  switch (l) {
    case LogLevel::Debug: return "DEBUG";
    case LogLevel::Verbose: return "VERBOSE";
    case LogLevel::Notice: return "NOTICE";
    case LogLevel::Warning: return "WARNING";
    case LogLevel::Error: return "ERROR";
  }
  return "?";
}

bool parse_log_level(std::string_view s, LogLevel& out) {
  std::string lower;
  for (char c : s) lower += char(std::tolower(static_cast<unsigned char>(c)));
  static const std::pair<const char*, LogLevel> names[] = {
      {"debug", LogLevel::Debug},     {"verbose", LogLevel::Verbose}, {"notice", LogLevel::Notice},
      {"warning", LogLevel::Warning}, {"error", LogLevel::Error}};
  for (auto& [n, l] : names)
    if (lower == n) {
      out = l;
      return true;
    }
  return false;
}

void set_log_level(LogLevel l) { sink().level.store(int(l)); }
LogLevel log_level() { return LogLevel(sink().level.load()); }
bool log_enabled(LogLevel l) { return int(l) >= sink().level.load(std::memory_order_relaxed); }

void log_line(LogLevel level, std::string_view source, std::string_view message) {
  using namespace std::chrono;
  auto now = system_clock::now();
  auto t = system_clock::to_time_t(now);
  auto ms = duration_cast<milliseconds>(now.time_since_epoch()).count() % 1000;
  std::tm tm{};
  localtime_r(&t, &tm);
  char stamp[64];
  std::snprintf(stamp, sizeof stamp, "%04d-%02d-%02d %02d:%02d:%02d.%03d", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, int(ms));
  std::string line = cat("[", stamp, "] ", to_string(level), "[", long(syscall(SYS_gettid)), "] ",
                         source, ": ", message);
  auto& s = sink();
  std::lock_guard lock(s.mutex);
  if (s.file) {
    std::fprintf(s.file.get(), "%s\n", line.c_str());
    std::fflush(s.file.get());
  } else if (s.to_stderr.load()) {
    std::fprintf(stderr, "%s\n", line.c_str());
  }
  for (auto& l : s.listeners) l.fn(level, line);
}

Registration add_log_listener(std::function<void(LogLevel, std::string_view)> listener) {
  auto& s = sink();
  std::lock_guard lock(s.mutex);
  uint64_t id = s.next_id++;
  s.listeners.push_back({id, std::move(listener)});
  return Registration([id] {
    auto& s = sink();
    std::lock_guard lock(s.mutex);
    std::erase_if(s.listeners, [id](const Listener& l) { return l.id == id; });
  });
}

Result<void> set_log_file(const std::filesystem::path& path) {
  auto& s = sink();
  std::lock_guard lock(s.mutex);
  if (path.empty()) {
    s.file.reset();
    return {};
  }
  std::error_code ec;
  std::filesystem::create_directories(path.parent_path(), ec);
  FILE* f = std::fopen(path.c_str(), "a");
  if (!f) return make_error(cat("cannot open log file ", path.string(), ": ", std::strerror(errno)));
  s.file.reset(f);
  return {};
}

void set_log_to_stderr(bool enabled) { sink().to_stderr.store(enabled); }

}  // namespace zvon
