// Leaving the terminal (`zvon` without -f/-c) and the pid file.
#pragma once
#include <filesystem>
#include <functional>
#include <string>

#include "main/unique_fd.h"
#include "zvon/result.h"

namespace zvon {

// The daemon's end of the start-up report: tells the waiting parent how the start went.
class StartReport {
 public:
  explicit StartReport(UniqueFd fd) : fd_(std::move(fd)) {}
  void succeeded();
  void failed(const std::string& message);

 private:
  UniqueFd fd_;
};

// Forks twice and starts a new session, so the daemon has no terminal and no parent to wait
// for it. In the calling process this returns the exit status for it: 0 once the daemon
// reported its start and `answers()` is true, else 1 with the reason on stderr. In the daemon
// it calls `run(report)` with stdin on /dev/null and stdout/stderr appended to `log_file`,
// and returns what that returns. `answers` waits (bounded) until the daemon serves.
int daemonize(const std::filesystem::path& log_file,
              const std::function<int(StartReport&)>& run,
              const std::function<Result<void>()>& answers);

// <run_dir>/zvon.pid while the daemon runs; removed when it ends, unless another process
// has written its own pid there meanwhile.
class PidFile {
 public:
  static Result<PidFile> create(const std::filesystem::path& path);
  PidFile(PidFile&& o) noexcept;
  PidFile& operator=(PidFile&&) = delete;
  ~PidFile();

 private:
  explicit PidFile(std::filesystem::path path) : path_(std::move(path)) {}
  std::filesystem::path path_;
};

}  // namespace zvon
