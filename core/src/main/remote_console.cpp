#include "main/remote_console.h"

#include <poll.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <optional>
#include <string>
#include <vector>

#include "main/line_editor.h"
#include "zvon/log.h"

namespace zvon {

using console::Frame;
using console::FrameType;

namespace {

std::string trim(std::string_view s) {
  size_t b = s.find_first_not_of(" \t\r\n");
  if (b == std::string_view::npos) return {};
  size_t e = s.find_last_not_of(" \t\r\n");
  return std::string(s.substr(b, e - b + 1));
}

bool is_quit(std::string_view line) { return line == "quit" || line == "exit"; }

void write_stdout(std::string_view text) {
  std::fwrite(text.data(), 1, text.size(), stdout);
}

// A 'G' payload ("3 [time] WARNING[...] ...") as the terminal shows it.
std::string format_log_line(std::string_view payload, bool color) {
  int level = payload.empty() ? 0 : payload[0] - '0';
  std::string_view text = payload.size() >= 2 ? payload.substr(2) : payload;
  if (!color || level < int(LogLevel::Warning)) return std::string(text);
  const char* start = level >= int(LogLevel::Error) ? "\033[1;31m" : "\033[33m";
  return cat(start, text, "\033[0m");
}

class Session {
 public:
  Session(ConsoleConnection& c, const RemoteConsoleOptions& o)
      : conn_(c), options_(o), color_(::isatty(STDOUT_FILENO) != 0) {}

  int run() {
    if (auto r = conn_.send(FrameType::Logs, "1"); !r) return lost(r.message());
    if (!::isatty(STDIN_FILENO)) return run_piped();
    return run_terminal();
  }

 private:
  int run_terminal() {
    if (!options_.in_process)
      write_stdout(cat("Connected to ", conn_.greeting(), ". 'help' lists the commands; ",
                       "'quit' or Ctrl-D detaches.\n"));
    else
      write_stdout("zvon console. 'help' lists the commands; 'quit' or Ctrl-D stops zvon.\n");
    std::fflush(stdout);
    LineEditor editor("zvon", "zvon*CLI> ", options_.history_file, !options_.in_process,
                      {[this](char& b) { return read_byte(b); },
                       [this](std::string_view line) { return complete(line); }});
    editor_ = &editor;
    int status = 0;
    for (;;) {
      auto line = editor.read_line();
      if (!line) break;
      std::string cmd = trim(*line);
      if (cmd.empty()) continue;
      editor.remember(cmd);
      if (is_quit(cmd)) break;
      if (!run_command(cmd)) break;
    }
    editor_ = nullptr;
    if (gone_ && !options_.in_process) {
      std::fprintf(stderr, "Disconnected from zvon: %s\n", gone_reason_.c_str());
      status = 1;
    } else if (!gone_ && options_.in_process) {
      stop_daemon();
    }
    return status;
  }

  int run_piped() {
    int status = 0;
    while (auto line = read_piped_line()) {
      std::string cmd = trim(*line);
      if (cmd.empty()) continue;
      if (is_quit(cmd)) break;
      auto s = run_command(cmd);
      if (!s) return lost(gone_reason_);
      status = *s;
    }
    if (gone_) return lost(gone_reason_);
    if (options_.in_process) stop_daemon();
    return status;
  }

  // A line from a pipe, printing log lines while waiting; nullopt at the end of input.
  std::optional<std::string> read_piped_line() {
    std::string line;
    char byte;
    for (;;) {
      int r = read_byte(byte);
      if (r <= 0) return line.empty() ? std::nullopt : std::optional<std::string>(line);
      if (byte == '\n') return line;
      line += byte;
    }
  }

  // `zvon -c`: leaving the console ends the process, as the operator expects of a foreground
  // program.
  void stop_daemon() {
    if (run_command("core stop now")) wait_until_closed();
  }

  void wait_until_closed() {
    while (!gone_) {
      auto f = next_frame(-1);
      if (!f) break;
    }
  }

  // The command's status, or nullopt when the daemon went away.
  std::optional<int> run_command(const std::string& cmd) {
    if (auto r = conn_.send(FrameType::Run, cmd); !r) {
      gone(r.message());
      return std::nullopt;
    }
    for (;;) {
      auto f = next_frame(-1);
      if (!f) return std::nullopt;
      switch (f->type) {
        case FrameType::Output:
          write_stdout(f->payload);
          break;
        case FrameType::End:
          std::fflush(stdout);
          return console::decode_status(f->payload).value_or(1);
        default:
          break;
      }
    }
  }

  // The next frame that is not a log line (log lines are printed on the way).
  std::optional<Frame> next_frame(int timeout_ms) {
    for (;;) {
      auto f = conn_.next(timeout_ms);
      if (!f) {
        gone(f.message());
        return std::nullopt;
      }
      if (f->type == FrameType::Log) {
        show_log(f->payload);
        continue;
      }
      return std::move(*f);
    }
  }

  void show_log(std::string_view payload) {
    std::string text = format_log_line(payload, color_);
    if (editor_) {
      editor_->print_above(text);
    } else {
      text += '\n';
      write_stdout(text);
      std::fflush(stdout);
    }
  }

  // libedit's input: a byte from the terminal, printing log lines while none comes.
  int read_byte(char& byte) {
    for (;;) {
      while (auto f = conn_.buffered()) {
        if (f->type == FrameType::Log) show_log(f->payload);
      }
      if (gone_) return 0;
      pollfd fds[3] = {{STDIN_FILENO, POLLIN, 0}, {conn_.fd(), POLLIN, 0}, {options_.wake_fd, POLLIN, 0}};
      int n = ::poll(fds, options_.wake_fd >= 0 ? 3 : 2, -1);
      if (n < 0) {
        if (errno == EINTR) continue;
        return -1;
      }
      if (fds[2].revents) {
        gone("zvon is stopping");
        return 0;
      }
      if (fds[1].revents) {
        if (auto r = conn_.receive(); !r) {
          gone(r.message());
          return 0;
        }
        continue;
      }
      if (fds[0].revents) {
        ssize_t r = ::read(STDIN_FILENO, &byte, 1);
        if (r == 1) return 1;
        if (r < 0 && errno == EINTR) continue;
        return r == 0 ? 0 : -1;
      }
    }
  }

  std::vector<std::string> complete(std::string_view line) {
    std::vector<std::string> out;
    if (auto r = conn_.send(FrameType::Complete, line); !r) {
      gone(r.message());
      return out;
    }
    // Log lines that arrive meanwhile wait for the next read_byte(): libedit is mid-edit.
    for (;;) {
      auto f = conn_.next(5000);
      if (!f) {
        gone(f.message());
        return out;
      }
      if (f->type == FrameType::Log) {
        pending_logs_.push_back(std::move(f->payload));
        continue;
      }
      if (f->type != FrameType::Matches) continue;
      std::string_view rest = f->payload;
      while (!rest.empty()) {
        size_t nl = rest.find('\n');
        out.emplace_back(rest.substr(0, nl));
        if (nl == std::string_view::npos) break;
        rest.remove_prefix(nl + 1);
      }
      flush_pending_logs();
      return out;
    }
  }

  void flush_pending_logs() {
    if (pending_logs_.empty()) return;
    std::string text = "\n";
    for (auto& p : pending_logs_) text += format_log_line(p, color_) + "\n";
    pending_logs_.clear();
    write_stdout(text);
  }

  void gone(std::string reason) {
    if (gone_) return;
    gone_ = true;
    gone_reason_ = std::move(reason);
  }

  int lost(const std::string& reason) {
    if (!options_.in_process) std::fprintf(stderr, "Disconnected from zvon: %s\n", reason.c_str());
    return options_.in_process ? 0 : 1;
  }

  ConsoleConnection& conn_;
  const RemoteConsoleOptions& options_;
  bool color_;
  LineEditor* editor_ = nullptr;
  bool gone_ = false;
  std::string gone_reason_;
  std::vector<std::string> pending_logs_;
};

}  // namespace

int run_remote_command(ConsoleConnection& conn, std::string_view command) {
  if (auto r = conn.send(FrameType::Run, command); !r) {
    std::fprintf(stderr, "zvon: %s\n", r.message().c_str());
    return 1;
  }
  for (;;) {
    auto f = conn.next(-1);
    if (!f) {
      std::fflush(stdout);
      std::fprintf(stderr, "zvon: the command did not finish: %s\n", f.message().c_str());
      return 1;
    }
    if (f->type == FrameType::Output) {
      write_stdout(f->payload);
    } else if (f->type == FrameType::End) {
      std::fflush(stdout);
      int status = console::decode_status(f->payload).value_or(1);
      return status < 0 || status > 255 ? 1 : status;
    }
  }
}

int run_remote_console(ConsoleConnection& connection, const RemoteConsoleOptions& options) {
  return Session(connection, options).run();
}

}  // namespace zvon
