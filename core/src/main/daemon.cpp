#include "main/daemon.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>

#include "zvon/log.h"

namespace zvon {

namespace fs = std::filesystem;

namespace {

// Bounds the parent's wait for a daemon that hangs while starting.
constexpr int kStartTimeoutMs = 120 * 1000;

void write_all(int fd, std::string_view bytes) {
  while (!bytes.empty()) {
    ssize_t n = ::write(fd, bytes.data(), bytes.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return;
    }
    bytes.remove_prefix(size_t(n));
  }
}

// Everything the daemon reports, until it closes its end (or the time is up).
std::string read_report(int fd) {
  std::string report;
  int waited_ms = 0;
  for (;;) {
    pollfd p{fd, POLLIN, 0};
    int rc = ::poll(&p, 1, 1000);
    if (rc < 0 && errno == EINTR) continue;
    if (rc == 0) {
      waited_ms += 1000;
      if (waited_ms >= kStartTimeoutMs) return report;
      continue;
    }
    char buf[4096];
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return report;
    report.append(buf, size_t(n));
  }
}

}  // namespace

void StartReport::succeeded() {
  if (!fd_) return;
  write_all(fd_.get(), "K");
  fd_.reset();
}

void StartReport::failed(const std::string& message) {
  if (!fd_) return;
  write_all(fd_.get(), "F" + message);
  fd_.reset();
}

int daemonize(const fs::path& log_file, const std::function<int(StartReport&)>& run,
              const std::function<Result<void>()>& answers) {
  std::error_code ec;
  fs::create_directories(log_file.parent_path(), ec);
  UniqueFd log_fd(::open(log_file.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640));
  if (!log_fd) {
    std::fprintf(stderr, "zvon: cannot open the log file %s: %s\n", log_file.c_str(),
                 std::strerror(errno));
    return 1;
  }
  int p[2];
  if (::pipe2(p, O_CLOEXEC) != 0) {
    std::fprintf(stderr, "zvon: pipe: %s\n", std::strerror(errno));
    return 1;
  }
  UniqueFd report_in(p[0]), report_out(p[1]);
  std::fflush(nullptr);

  pid_t child = ::fork();
  if (child < 0) {
    std::fprintf(stderr, "zvon: fork: %s\n", std::strerror(errno));
    return 1;
  }
  if (child > 0) {
    report_out.reset();
    // The first child only forks the daemon and exits.
    int st = 0;
    while (::waitpid(child, &st, 0) < 0 && errno == EINTR) {
    }
    std::string report = read_report(report_in.get());
    if (report.empty()) {
      std::fprintf(stderr, "zvon: the daemon exited while starting; see %s\n", log_file.c_str());
      return 1;
    }
    if (report[0] != 'K') {
      std::fprintf(stderr, "zvon: %s\n", report.substr(1).c_str());
      return 1;
    }
    if (auto r = answers(); !r) {
      std::fprintf(stderr, "zvon: the daemon started but its console does not answer: %s\n",
                   r.message().c_str());
      return 1;
    }
    return 0;
  }

  // The first child: a new session without a controlling terminal.
  report_in.reset();
  if (::setsid() < 0) ::_exit(1);
  pid_t daemon = ::fork();
  if (daemon < 0) ::_exit(1);
  if (daemon > 0) ::_exit(0);  // the daemon is nobody's child now; it cannot regain a terminal

  // The daemon.
  if (::chdir("/") != 0) {
    // Nothing to do: paths are absolute; staying elsewhere only pins that directory.
  }
  UniqueFd null_fd(::open("/dev/null", O_RDWR | O_CLOEXEC));
  if (null_fd) ::dup2(null_fd.get(), STDIN_FILENO);
  // Whatever a library prints lands in the log file, not on a terminal that is gone.
  ::dup2(log_fd.get(), STDOUT_FILENO);
  ::dup2(log_fd.get(), STDERR_FILENO);
  StartReport report(std::move(report_out));
  return run(report);
}

Result<PidFile> PidFile::create(const fs::path& path) {
  std::error_code ec;
  fs::create_directories(path.parent_path(), ec);
  std::ofstream out(path, std::ios::trunc);
  out << ::getpid() << "\n";
  out.close();
  if (!out) return make_error(cat("cannot write the pid file ", path.string()));
  return PidFile(path);
}

PidFile::PidFile(PidFile&& o) noexcept : path_(std::exchange(o.path_, fs::path())) {}

PidFile::~PidFile() {
  if (path_.empty()) return;
  std::ifstream in(path_);
  long pid = 0;
  if (in >> pid && pid == long(::getpid())) {
    std::error_code ec;
    fs::remove(path_, ec);
  }
}

}  // namespace zvon
