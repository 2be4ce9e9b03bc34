#include "journal.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "zvon/log.h"

namespace zvon::pg {

namespace {

std::string os_error(std::string_view what, const std::filesystem::path& p) {
  return cat(what, " ", p.string(), ": ", std::strerror(errno));
}

// A rename or unlink is durable only once the directory is synced.
void sync_dir(const std::filesystem::path& dir) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd >= 0) {
    ::fsync(fd);
    ::close(fd);
  }
}

struct Fd {
  int fd = -1;
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
};

Result<std::string> read_all(const std::filesystem::path& p) {
  Fd f;
  f.fd = ::open(p.c_str(), O_RDONLY | O_CLOEXEC);
  if (f.fd < 0) return make_error(os_error("cannot open", p));
  std::string out;
  char buf[65536];
  for (;;) {
    ssize_t n = ::read(f.fd, buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      return make_error(os_error("cannot read", p));
    }
    if (n == 0) break;
    out.append(buf, size_t(n));
  }
  // A torn last line (a crash in the middle of a write) was never acknowledged: drop it.
  size_t end = out.rfind('\n');
  out.resize(end == std::string::npos ? 0 : end + 1);
  return out;
}

}  // namespace

Journal::Journal(Loop& loop, std::filesystem::path dir, std::string log_source)
    : loop_(loop),
      dir_(std::move(dir)),
      file_(dir_ / "journal.jsonl"),
      taken_(dir_ / "journal.replay.jsonl"),
      log_source_(std::move(log_source)),
      alive_(std::make_shared<bool>(true)) {
  std::error_code ec;
  std::filesystem::create_directories(dir_, ec);
  auto nonempty = [&](const std::filesystem::path& p) {
    std::error_code e;
    return std::filesystem::exists(p, e) && std::filesystem::file_size(p, e) > 0;
  };
  had_backlog_ = nonempty(file_) || nonempty(taken_);
}

Journal::~Journal() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  cv_.notify_one();
  if (thread_.joinable()) thread_.join();
  *alive_ = false;
}

void Journal::run() {
  for (;;) {
    std::function<void()> job;
    {
      std::unique_lock lock(mutex_);
      cv_.wait(lock, [&] { return stopping_ || !jobs_.empty(); });
      if (jobs_.empty()) return;  // stopping, and every queued write is done
      job = std::move(jobs_.front());
      jobs_.pop_front();
    }
    job();
  }
}

// Hands `fn` to the owner's loop, unless the Journal is gone by the time it runs.
void Journal::deliver(std::function<void()> fn) {
  std::weak_ptr<bool> alive = alive_;
  loop_.post([alive, fn = std::move(fn)] {
    auto a = alive.lock();
    if (a && *a) fn();
  });
}

void Journal::push(std::function<void()> job) {
  {
    std::lock_guard lock(mutex_);
    jobs_.push_back(std::move(job));
    // The thread starts with the first job: a journal the database never needs costs none.
    if (!thread_.joinable()) thread_ = std::thread([this] { run(); });
  }
  cv_.notify_one();
}

void Journal::append(std::string lines, std::function<void(Result<void>)> done) {
  push([this, lines = std::move(lines), done = std::move(done)]() mutable {
    auto r = write_now(lines);
    if (!r) log(LogLevel::Error, log_source_, "journal: ", r.message());
    if (done) deliver([done = std::move(done), r] { done(r); });
  });
}

void Journal::take(std::function<void(Result<std::string>)> done) {
  push([this, done = std::move(done)]() mutable {
    auto r = take_now();
    deliver([done = std::move(done), r = std::move(r)]() mutable { done(std::move(r)); });
  });
}

void Journal::remove_taken(std::function<void(Result<void>)> done) {
  push([this, done = std::move(done)]() mutable {
    auto r = remove_now();
    deliver([done = std::move(done), r] { done(r); });
  });
}

std::vector<std::string> Journal::lines_of(const std::string& content,
                                          const std::function<bool(std::string_view)>& ours) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start < content.size()) {
    size_t end = content.find('\n', start);
    if (end == std::string::npos) break;
    std::string_view line(content.data() + start, end - start);
    start = end + 1;
    if (ours(line)) out.emplace_back(line);
  }
  return out;
}

Result<void> Journal::write_now(const std::string& lines) {
  Fd f;
  f.fd = ::open(file_.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
  if (f.fd < 0) return make_error(os_error("cannot open", file_));
  if (!repaired_) {
    // A line torn by a crash would glue itself to the next record: cut it first.
    repaired_ = true;
    struct stat st {};
    if (::fstat(f.fd, &st) == 0 && st.st_size > 0) {
      auto content = read_all(file_);
      if (content && off_t(content->size()) != st.st_size) {
        if (::ftruncate(f.fd, off_t(content->size())) != 0)
          return make_error(os_error("cannot repair", file_));
        log(LogLevel::Warning, log_source_, "journal ", file_.string(), ": cut a torn last line");
      }
    }
  }
  size_t off = 0;
  while (off < lines.size()) {
    ssize_t n = ::write(f.fd, lines.data() + off, lines.size() - off);
    if (n < 0) {
      if (errno == EINTR) continue;
      return make_error(os_error("cannot write", file_));
    }
    off += size_t(n);
  }
  if (::fdatasync(f.fd) != 0) return make_error(os_error("cannot sync", file_));
  return {};
}

Result<std::string> Journal::take_now() {
  std::error_code ec;
  if (!std::filesystem::exists(taken_, ec)) {
    if (!std::filesystem::exists(file_, ec)) return std::string();
    if (::rename(file_.c_str(), taken_.c_str()) != 0) return make_error(os_error("cannot move", file_));
    sync_dir(dir_);
    repaired_ = false;  // a new journal file starts
  }
  return read_all(taken_);
}

Result<void> Journal::remove_now() {
  if (::unlink(taken_.c_str()) != 0 && errno != ENOENT) return make_error(os_error("cannot remove", taken_));
  sync_dir(dir_);
  return {};
}

}  // namespace zvon::pg
