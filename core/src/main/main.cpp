// The `zvon` executable: starts the engine (as a daemon, in the foreground, or with a console
// on this terminal) or attaches a console to the running daemon.
#include <fcntl.h>
#include <unistd.h>

#include <clocale>
#include <cstdio>
#include <cstdlib>
#include <thread>

#include "console/build_info.h"
#include "core_impl.h"
#include "log_sink.h"
#include "main/command_line.h"
#include "main/console_connection.h"
#include "main/daemon.h"
#include "main/remote_console.h"
#include "zvon/version.h"

namespace zvon {
namespace {

namespace fs = std::filesystem;

// How long a client waits for the daemon's hello once connected.
constexpr int kGreetingTimeoutMs = 5000;
// How long `zvon` waits for a daemon it started to answer on its console socket.
constexpr int kDaemonAnswerTimeoutMs = 15000;

int fail(const std::string& message) {
  std::fprintf(stderr, "zvon: %s\n", message.c_str());
  return 1;
}

Result<CoreSettings> settings_for(const CommandLine& cl) {
  return read_core_settings(cl.config_dir.value_or(default_config_dir()));
}

fs::path history_file() {
  const char* home = std::getenv("HOME");
  return home && *home ? fs::path(home) / ".zvon_history" : fs::path();
}

// Refuses early, with the operator's next step, when a daemon already serves this
// configuration (the console server would refuse too, after loading every module).
Result<void> check_not_running(const CoreSettings& s) {
  auto existing = ConsoleConnection::open(s.console_socket(), kGreetingTimeoutMs);
  if (existing)
    return make_error(cat("already running (its console answers on ",
                          s.console_socket().string(), "); attach with 'zvon -r' or stop it with ",
                          "'zvon -rx \"core stop now\"'"));
  return {};
}

// Creates and starts the core; the error is what the operator must fix.
Result<std::unique_ptr<CoreImpl>> start_core(CoreSettings settings) {
  auto core = CoreImpl::create(std::move(settings));
  if (!core) return core.error();
  if (auto r = (*core)->start(); !r) return r.error();
  return std::move(*core);
}

int run_foreground(CoreSettings settings) {
  if (auto r = check_not_running(settings); !r) return fail(r.message());
  settings.log_file.clear();  // -f logs to stderr
  fs::path pid_path = settings.paths.run_dir / "zvon.pid";
  auto core = start_core(std::move(settings));
  if (!core) return fail(core.message());
  auto pid = PidFile::create(pid_path);
  if (!pid) log(LogLevel::Warning, "core", pid.message());
  (*core)->run();
  return 0;
}

int run_with_console(CoreSettings settings) {
  if (auto r = check_not_running(settings); !r) return fail(r.message());
  settings.log_file.clear();  // log lines show on the console
  fs::path socket = settings.console_socket();
  fs::path pid_path = settings.paths.run_dir / "zvon.pid";
  auto core = start_core(std::move(settings));
  if (!core) return fail(core.message());
  auto pid = PidFile::create(pid_path);
  if (!pid) log(LogLevel::Warning, "core", pid.message());

  int p[2];
  if (::pipe2(p, O_CLOEXEC) != 0) return fail("pipe failed");
  UniqueFd wake_in(p[0]), wake_out(p[1]);
  // The console is a client of the daemon's own socket, on a thread of its own: the main
  // thread is the core loop's. It answers once run() below turns the loop.
  std::thread console([&socket, wake = wake_in.get()] {
    auto conn = ConsoleConnection::open(socket, kDaemonAnswerTimeoutMs);
    if (!conn) {
      log(LogLevel::Error, "console", "the console cannot attach: ", conn.message());
      return;
    }
    set_log_to_stderr(false);
    RemoteConsoleOptions options{history_file(), /*in_process=*/true, wake};
    run_remote_console(*conn, options);
    set_log_to_stderr(true);
  });
  (*core)->run();
  if (::write(wake_out.get(), "x", 1) < 0) {
    // The console thread also ends when the daemon closes its socket.
  }
  console.join();
  set_log_to_stderr(true);
  return 0;
}

int run_daemon(CoreSettings settings) {
  if (auto r = check_not_running(settings); !r) return fail(r.message());
  if (settings.log_file.empty()) settings.log_file = settings.paths.data_dir / "log" / "zvon.log";
  fs::path log_file = settings.log_file;
  fs::path socket = settings.console_socket();
  fs::path pid_path = settings.paths.run_dir / "zvon.pid";
  return daemonize(
      log_file,
      [&](StartReport& report) {
        auto core = start_core(std::move(settings));
        if (!core) {
          log(LogLevel::Error, "core", "zvon did not start: ", core.message());
          report.failed(core.message());
          return 1;
        }
        auto pid = PidFile::create(pid_path);
        if (!pid) log(LogLevel::Warning, "core", pid.message());
        report.succeeded();
        (*core)->run();
        return 0;
      },
      [&]() -> Result<void> {
        auto conn = ConsoleConnection::open(socket, kDaemonAnswerTimeoutMs);
        if (!conn) return conn.error();
        return {};
      });
}

int run_remote(const CommandLine& cl, const CoreSettings& settings) {
  auto conn = ConsoleConnection::open(settings.console_socket(), kGreetingTimeoutMs);
  if (!conn) return fail(conn.message());
  if (cl.mode == RunMode::RemoteOnce) return run_remote_command(*conn, cl.command);
  std::setlocale(LC_CTYPE, "");
  return run_remote_console(*conn, RemoteConsoleOptions{history_file(), false, -1});
}

int run_main(int argc, char** argv) {
  auto parsed = parse_command_line(argc, argv);
  if (auto* e = std::get_if<CommandLineError>(&parsed)) {
    std::fprintf(stderr, "zvon: %s\n%s", e->message.c_str(), usage_text(argv[0]).c_str());
    return 2;
  }
  auto& cl = std::get<CommandLine>(parsed);
  switch (cl.mode) {
    case RunMode::Help:
      std::fputs(usage_text(argv[0]).c_str(), stdout);
      return 0;
    case RunMode::Version:
      std::printf("zvon %s (module ABI %u.%u, build %s)\n", std::string(zvon_version()).c_str(),
                  ZVON_ABI_MAJOR, ZVON_ABI_MINOR, std::string(zvon_build_fingerprint()).c_str());
      return 0;
    default:
      break;
  }
  auto settings = settings_for(cl);
  if (!settings) return fail(settings.message());
  switch (cl.mode) {
    case RunMode::Remote:
    case RunMode::RemoteOnce:
      return run_remote(cl, *settings);
    case RunMode::Foreground:
      return run_foreground(std::move(*settings));
    case RunMode::Console:
      std::setlocale(LC_CTYPE, "");
      return run_with_console(std::move(*settings));
    default:
      return run_daemon(std::move(*settings));
  }
}

}  // namespace
}  // namespace zvon

int main(int argc, char** argv) { return zvon::run_main(argc, argv); }
