// The `zvon` command line, shaped after Asterisk's so operators' habits carry over.
#pragma once
#include <filesystem>
#include <optional>
#include <variant>
#include <string>
#include <vector>

namespace zvon {

enum class RunMode {
  Daemon,      // zvon          : detach, log to a file
  Foreground,  // zvon -f       : stay attached, log to stderr
  Console,     // zvon -c       : foreground with a console on this terminal
  Remote,      // zvon -r       : attach a console to the running daemon
  RemoteOnce,  // zvon -rx CMD  : run one command on the running daemon
  Help,
  Version,
};

struct CommandLine {
  RunMode mode = RunMode::Daemon;
  std::optional<std::filesystem::path> config_dir;  // -C
  std::string command;                              // -x
};

struct CommandLineError {
  std::string message;
};

// Parses argv; a mistake is described in the error (the caller prints it with the usage).
std::variant<CommandLine, CommandLineError> parse_command_line(int argc, char** argv);
std::string usage_text(const char* program);

}  // namespace zvon
