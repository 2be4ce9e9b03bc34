// The operator's side of the console: one command (`zvon -rx`), or an interactive session
// (`zvon -r`, and `zvon -c` from its console thread) over a ConsoleConnection.
#pragma once
#include <filesystem>
#include <string_view>

#include "main/console_connection.h"

namespace zvon {

// Runs `command`, copies its output to stdout and returns its exit status (0..255); 1 with a
// message on stderr when the daemon goes away before it finishes.
int run_remote_command(ConsoleConnection& connection, std::string_view command);

struct RemoteConsoleOptions {
  // ~/.zvon_history; empty: no history file.
  std::filesystem::path history_file;
  // `zvon -c`: the console belongs to the daemon's own process. Leaving it (quit, Ctrl-D)
  // stops the daemon, and libedit leaves signals to the daemon.
  bool in_process = false;
  // Readable when the console must end (the daemon's process is stopping), or -1.
  int wake_fd = -1;
};

// Streams the daemon's log lines and runs the lines typed (with libedit on a terminal, line
// by line from a pipe) until quit/exit, end of input, or the daemon going away. Returns the
// process's exit status.
int run_remote_console(ConsoleConnection& connection, const RemoteConsoleOptions& options);

}  // namespace zvon
