#include "console/console_server.h"

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <array>
#include <ctime>
#include <cerrno>
#include <cstring>
#include <deque>
#include <list>
#include <mutex>
#include <string>
#include <utility>

#include "console/build_info.h"
#include "console/console_protocol.h"
#include "core_impl.h"
#include "log_sink.h"
#include "zvon/events.h"
#include "zvon/log.h"

namespace zvon {

namespace fs = std::filesystem;
using console::FrameType;

namespace {

// Log lines waiting for the core loop. Bounded: a flood of logging (or a stuck core loop)
// drops lines, counted, instead of growing without limit.
constexpr size_t kMaxPendingLogLines = 4096;
// Bytes a client may have unread before its log lines are dropped. Command output is never
// dropped; reading stops instead while this much (times kReadPauseFactor) is unsent.
constexpr size_t kMaxClientBacklog = 256 * 1024;
constexpr size_t kReadPauseFactor = 16;
constexpr size_t kMaxConnections = 64;

// True when something accepts connections on the unix socket at `path`.
bool socket_answers(const fs::path& path) {
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::strncpy(addr.sun_path, path.c_str(), sizeof addr.sun_path - 1);
  bool answers = ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  ::close(fd);
  return answers;
}

// An event as a console line: "[time] EVENT ChannelState: channel=SIP/101-00000001, state=Up".
std::string format_event(const Event& e) {
  std::time_t t = std::time_t(e.time_us / 1000000);
  std::tm tm{};
  localtime_r(&t, &tm);
  char stamp[40];
  std::snprintf(stamp, sizeof stamp, "%04d-%02d-%02d %02d:%02d:%02d.%03d", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                int(e.time_us / 1000 % 1000));
  std::string line = cat("[", stamp, "] EVENT ", e.type, ":");
  const char* sep = " ";
  for (auto& [k, v] : e.fields) {
    line += cat(sep, k, "=", v);
    sep = ", ";
  }
  return line;
}

// A uv_write request with the bytes it sends; freed by its callback.
struct WriteRequest {
  uv_write_t req{};
  std::string bytes;
};

// Shared with the log listener and the event subscriber, which may still run on another
// thread while the server goes away (the event bus calls a copy of its subscriber list).
struct PendingLogs {
  std::mutex mutex;  // the console's own; held only to move lines in or out
  std::deque<std::pair<LogLevel, std::string>> lines;
  uint64_t dropped = 0;
  uv_async_t* wakeup = nullptr;  // null once the server is gone
  std::atomic<int> subscribers{0};

  // Any thread.
  void push(LogLevel level, std::string line) {
    std::lock_guard lock(mutex);
    if (!wakeup) return;
    if (lines.size() >= kMaxPendingLogLines) {
      ++dropped;
      return;
    }
    lines.emplace_back(level, std::move(line));
    uv_async_send(wakeup);
  }
};

class ConsoleServerImpl;

struct Connection : std::enable_shared_from_this<Connection> {
  ConsoleServerImpl* server = nullptr;
  UvHandle<uv_pipe_t> pipe;
  console::FrameReader reader{console::kMaxRequestPayload};
  bool open = true;
  bool reading = false;
  bool wants_logs = false;
  // A command is running (dialplan reload compiles on a thread of its own): the frames after
  // it wait in `reader`, so that replies come in the order of the commands.
  bool busy = false;
  bool in_run = false;  // inside execute_later(): a reply given at once needs no resume
  uint64_t logs_dropped = 0;

  uv_stream_t* stream() { return reinterpret_cast<uv_stream_t*>(pipe.get()); }
  size_t unsent() { return uv_stream_get_write_queue_size(stream()); }
};

// Collects a command's output into 'O' frames on the connection.
class ConnectionOutput final : public CommandOutput {
 public:
  explicit ConnectionOutput(std::string& frames) : frames_(frames) {}
  ~ConnectionOutput() override { flush(); }
  void write(std::string_view text) override {
    while (!text.empty()) {
      size_t room = console::kMaxResponsePayload - chunk_.size();
      size_t n = std::min(room, text.size());
      chunk_.append(text.substr(0, n));
      text.remove_prefix(n);
      if (chunk_.size() == console::kMaxResponsePayload) flush();
    }
  }
  void flush() {
    if (chunk_.empty()) return;
    console::append_frame(frames_, FrameType::Output, chunk_);
    chunk_.clear();
  }

 private:
  std::string& frames_;
  std::string chunk_;
};

class ConsoleServerImpl final : public ConsoleServer {
 public:
  ConsoleServerImpl(CoreImpl& core, fs::path path)
      : core_(core), path_(std::move(path)), logs_(std::make_shared<PendingLogs>()) {}

  ~ConsoleServerImpl() override {
    // No listener call may come after this, so nothing touches the async handle below.
    log_listener_.release();
    event_subscription_.release();
    {
      std::lock_guard lock(logs_->mutex);
      logs_->wakeup = nullptr;
    }
    for (auto& c : connections_) detach(*c);
    connections_.clear();
    listener_.close();
    log_wakeup_.close();
    remove_socket_file();
  }

  Result<void> listen() {
    uv_loop_t* loop = core_.loops().core().uv();
    std::error_code ec;
    fs::create_directories(path_.parent_path(), ec);
    if (path_.native().size() >= sizeof(sockaddr_un{}.sun_path))
      return make_error(cat("the console socket path ", path_.string(), " is longer than ",
                            sizeof(sockaddr_un{}.sun_path) - 1,
                            " bytes; set a shorter run_dir in zvon.conf"));
    struct stat st{};
    if (::lstat(path_.c_str(), &st) == 0) {
      if (!S_ISSOCK(st.st_mode))
        return make_error(cat(path_.string(),
                              " exists and is not a socket; remove it or set another run_dir"));
      if (socket_answers(path_))
        return make_error(cat("another zvon is already running: its console answers on ",
                              path_.string(), " (stop it with: zvon -rx \"core stop now\")"));
      // A socket file nobody listens on: left by a daemon that died.
      log(LogLevel::Notice, "console", "replacing the stale console socket ", path_.string());
      ::unlink(path_.c_str());
    }

    if (int rc = uv_pipe_init(loop, listener_.get(), 0); rc < 0)
      return make_error(cat("console socket: ", uv_strerror(rc)));
    listener_.mark_open();
    listener_.get()->data = this;
    if (int rc = uv_pipe_bind(listener_.get(), path_.c_str()); rc < 0)
      return make_error(cat("cannot create the console socket ", path_.string(), ": ",
                            uv_strerror(rc)));
    if (::lstat(path_.c_str(), &st) == 0) socket_inode_ = st.st_ino;
    // Operators in the daemon's group may attach; nobody else.
    if (::chmod(path_.c_str(), 0660) != 0)
      log(LogLevel::Warning, "console", "chmod ", path_.string(), ": ", std::strerror(errno));
    if (int rc = uv_listen(reinterpret_cast<uv_stream_t*>(listener_.get()), 16,
                           [](uv_stream_t* s, int status) {
                             static_cast<ConsoleServerImpl*>(s->data)->on_connection(status);
                           });
        rc < 0)
      return make_error(cat("cannot listen on the console socket ", path_.string(), ": ",
                            uv_strerror(rc)));

    if (int rc = uv_async_init(loop, log_wakeup_.get(),
                               [](uv_async_t* a) {
                                 static_cast<ConsoleServerImpl*>(a->data)->deliver_logs();
                               });
        rc < 0)
      return make_error(cat("console: ", uv_strerror(rc)));
    log_wakeup_.mark_open();
    log_wakeup_.get()->data = this;
    {
      std::lock_guard lock(logs_->mutex);
      logs_->wakeup = log_wakeup_.get();
    }
    // The listener runs on whichever thread logs, under the log sink's lock: it only queues.
    log_listener_ = add_log_listener([logs = logs_](LogLevel level, std::string_view line) {
      if (logs->subscribers.load(std::memory_order_relaxed) > 0) logs->push(level, std::string(line));
    });
    // The console is the event bus's first subscriber: attached consoles see every state
    // change as a verbose line (not written to the log file: modules log what matters there).
    event_subscription_ = core_.events().subscribe([logs = logs_](const Event& event) {
      if (logs->subscribers.load(std::memory_order_relaxed) > 0 && log_enabled(LogLevel::Verbose))
        logs->push(LogLevel::Verbose, format_event(event));
    });
    log(LogLevel::Verbose, "console", "listening on ", path_.string());
    return {};
  }

  void on_write_done(Connection* c) {
    if (c && c->open && !c->reading && c->unsent() < kMaxClientBacklog) start_reading(*c);
  }

  void close(Connection& c) {
    detach(c);
    connections_.remove_if([&](const std::shared_ptr<Connection>& p) { return p.get() == &c; });
  }

 private:
  void on_connection(int status) {
    if (status < 0) {
      log(LogLevel::Warning, "console", "accept: ", uv_strerror(status));
      return;
    }
    auto c = std::make_shared<Connection>();
    c->server = this;
    uv_pipe_init(core_.loops().core().uv(), c->pipe.get(), 0);
    c->pipe.mark_open();
    c->pipe.get()->data = c.get();
    if (uv_accept(reinterpret_cast<uv_stream_t*>(listener_.get()), c->stream()) < 0) return;
    if (connections_.size() >= kMaxConnections) {
      log(LogLevel::Warning, "console", "refusing a console connection: ", kMaxConnections,
          " are open already");
      return;  // the handle closes with `c`
    }
    Connection& conn = *c;
    connections_.push_back(std::move(c));
    send(conn, console::encode_frame(FrameType::Hello, cat("zvon ", zvon_version())));
    if (conn.open) start_reading(conn);
  }

  void start_reading(Connection& c) {
    c.reading = true;
    uv_read_start(
        c.stream(),
        [](uv_handle_t* h, size_t, uv_buf_t* buf) {
          auto* conn = static_cast<Connection*>(h->data);
          auto& b = conn->server->read_buffer_;
          *buf = uv_buf_init(b.data(), unsigned(b.size()));
        },
        [](uv_stream_t* s, ssize_t n, const uv_buf_t* buf) {
          auto* conn = static_cast<Connection*>(s->data);
          if (conn) conn->server->on_read(*conn, n, buf);
        });
  }

  void on_read(Connection& c, ssize_t n, const uv_buf_t* buf) {
    // Closing it below must not free it under this function.
    auto keep = c.shared_from_this();
    if (n < 0) {
      if (n != UV_EOF) log(LogLevel::Verbose, "console", "console connection: ", uv_strerror(int(n)));
      close(c);
      return;
    }
    if (n == 0) return;
    c.reader.feed(std::string_view(buf->base, size_t(n)));
    process(c);
  }

  // The frames read so far, until a command has to be waited for.
  void process(Connection& c) {
    while (c.open && !c.busy) {
      auto frame = c.reader.next();
      if (!frame) {
        if (c.reader.failed()) {
          log(LogLevel::Notice, "console", "closing a console connection: ", c.reader.error());
          close(c);
        }
        return;
      }
      if (!handle(c, *frame)) {
        log(LogLevel::Notice, "console", "closing a console connection: unknown frame type ",
            int(static_cast<unsigned char>(frame->type)));
        close(c);
        return;
      }
    }
  }

  void reply(Connection& c, std::string_view output, int status) {
    std::string frames;
    {
      ConnectionOutput out(frames);
      out.write(output);
    }
    console::append_frame(frames, FrameType::End, console::encode_status(status));
    send(c, std::move(frames));
    // A client that sends commands faster than it reads their output waits.
    if (c.open && c.unsent() > kMaxClientBacklog * kReadPauseFactor) {
      uv_read_stop(c.stream());
      c.reading = false;
    }
  }

  // False when the frame is not one a client may send.
  bool handle(Connection& c, const console::Frame& frame) {
    switch (frame.type) {
      case FrameType::Run: {
        c.busy = true;
        c.in_run = true;
        std::weak_ptr<Connection> weak = c.shared_from_this();
        core_.execute_later(frame.payload, [this, weak](std::string output, int status) {
          auto conn = weak.lock();
          if (!conn) return;  // the console went away while its command ran
          conn->busy = false;
          if (!conn->open) return;
          reply(*conn, output, status);
          if (!conn->in_run) process(*conn);
        });
        c.in_run = false;
        return true;
      }
      case FrameType::Complete: {
        std::string joined;
        for (auto& word : core_.complete(frame.payload)) {
          if (!joined.empty()) joined += '\n';
          joined += word;
        }
        send(c, console::encode_frame(FrameType::Matches, joined));
        return true;
      }
      case FrameType::Logs: {
        bool on = frame.payload == "1";
        if (on != c.wants_logs) {
          c.wants_logs = on;
          logs_->subscribers.fetch_add(on ? 1 : -1);
        }
        return true;
      }
      default:
        return false;
    }
  }

  void send(Connection& c, std::string bytes) {
    if (!c.open || bytes.empty()) return;
    auto w = std::make_unique<WriteRequest>();
    w->bytes = std::move(bytes);
    w->req.data = w.get();
    uv_buf_t buf = uv_buf_init(w->bytes.data(), unsigned(w->bytes.size()));
    int rc = uv_write(&w->req, c.stream(), &buf, 1, [](uv_write_t* req, int status) {
      std::unique_ptr<WriteRequest> done(static_cast<WriteRequest*>(req->data));
      auto* conn = static_cast<Connection*>(req->handle->data);
      if (!conn) return;  // the connection is closed already
      if (status < 0) {
        conn->server->close(*conn);
        return;
      }
      conn->server->on_write_done(conn);
    });
    if (rc < 0) {
      close(c);
      return;
    }
    (void)w.release();
  }

  void deliver_logs() {
    std::deque<std::pair<LogLevel, std::string>> lines;
    uint64_t dropped;
    {
      std::lock_guard lock(logs_->mutex);
      lines.swap(logs_->lines);
      dropped = std::exchange(logs_->dropped, 0);
    }
    for (auto& c : connections_) {
      if (!c->wants_logs) continue;
      c->logs_dropped += dropped;
      std::string frames;
      for (auto& [level, line] : lines) {
        if (c->unsent() + frames.size() > kMaxClientBacklog) {
          ++c->logs_dropped;
          continue;
        }
        if (c->logs_dropped > 0) {
          console::append_frame(
              frames, FrameType::Log,
              cat(int(LogLevel::Warning), " [console: ", std::exchange(c->logs_dropped, 0),
                  " log lines were dropped because this console read too slowly]"));
        }
        console::append_frame(frames, FrameType::Log, cat(int(level), " ", line));
      }
      send(*c, std::move(frames));
    }
  }

  // Stops everything that could reach `c` later; its handle closes when the object goes.
  void detach(Connection& c) {
    if (!c.open) return;
    c.open = false;
    if (c.wants_logs) logs_->subscribers.fetch_sub(1);
    c.wants_logs = false;
    if (c.reading) uv_read_stop(c.stream());
    c.reading = false;
    // Write callbacks still pending see a null and only free their request.
    c.pipe.get()->data = nullptr;
  }

  void remove_socket_file() {
    if (socket_inode_ == 0) return;
    // Only our own socket: never one a later daemon created at the same path.
    struct stat st{};
    if (::lstat(path_.c_str(), &st) == 0 && st.st_ino == socket_inode_) ::unlink(path_.c_str());
  }

  CoreImpl& core_;
  fs::path path_;
  ino_t socket_inode_ = 0;
  UvHandle<uv_pipe_t> listener_;
  UvHandle<uv_async_t> log_wakeup_;
  std::shared_ptr<PendingLogs> logs_;
  Registration log_listener_;
  Registration event_subscription_;
  std::list<std::shared_ptr<Connection>> connections_;
  std::array<char, 64 * 1024> read_buffer_{};
};

}  // namespace

Result<std::unique_ptr<ConsoleServer>> ConsoleServer::start(CoreImpl& core, fs::path socket_path) {
  auto server = std::make_unique<ConsoleServerImpl>(core, std::move(socket_path));
  auto r = server->listen();
  if (!r) return r.error();
  return std::unique_ptr<ConsoleServer>(std::move(server));
}

}  // namespace zvon
