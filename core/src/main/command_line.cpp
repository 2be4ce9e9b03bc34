#include "main/command_line.h"

#include <getopt.h>

namespace zvon {

std::variant<CommandLine, CommandLineError> parse_command_line(int argc, char** argv) {
  static const option long_options[] = {{"help", no_argument, nullptr, 'h'},
                                        {"version", no_argument, nullptr, 'V'},
                                        {nullptr, 0, nullptr, 0}};
  bool foreground = false, console = false, remote = false, help = false, version = false;
  std::optional<std::string> command;
  CommandLine cl;
  optind = 1;
  opterr = 0;  // the caller prints one message with the usage
  int c;
  while ((c = getopt_long(argc, argv, ":fcrx:C:hV", long_options, nullptr)) != -1) {
    switch (c) {
      case 'f': foreground = true; break;
      case 'c': console = true; break;
      case 'r': remote = true; break;
      case 'x': command = optarg; break;
      case 'C': cl.config_dir = std::filesystem::path(optarg); break;
      case 'h': help = true; break;
      case 'V': version = true; break;
      case ':':
        return CommandLineError{std::string("option -") + char(optopt) + " needs an argument"};
      default:
        if (optopt)
          return CommandLineError{std::string("unknown option -") + char(optopt)};
        return CommandLineError{std::string("unknown option ") + argv[optind - 1]};
    }
  }
  if (optind < argc) return CommandLineError{std::string("unexpected argument '") + argv[optind] + "'"};
  if (help) {
    cl.mode = RunMode::Help;
    return cl;
  }
  if (version) {
    cl.mode = RunMode::Version;
    return cl;
  }
  // -x implies -r, as in Asterisk.
  if (command) remote = true;
  if (remote && (foreground || console))
    return CommandLineError{"-r/-x attach to a running daemon; they do not go with -f or -c"};
  if (command && command->empty()) return CommandLineError{"-x needs a command"};
  if (remote) {
    cl.mode = command ? RunMode::RemoteOnce : RunMode::Remote;
    cl.command = command.value_or("");
  } else if (console) {
    cl.mode = RunMode::Console;
  } else if (foreground) {
    cl.mode = RunMode::Foreground;
  }
  return cl;
}

std::string usage_text(const char* program) {
  std::string p = program;
  return "Usage: " + p + " [-C DIR] [-f | -c | -r | -rx COMMAND]\n"
         "\n"
         "  (no option)   start zvon as a daemon; returns once its console socket answers\n"
         "  -f            run in the foreground, logging to stderr\n"
         "  -c            run in the foreground with a console on this terminal\n"
         "  -r            attach a console to the running daemon (history, tab completion,\n"
         "                log lines); 'quit' or Ctrl-D detaches\n"
         "  -rx COMMAND   run one console command on the running daemon, print its output\n"
         "                and exit with its status\n"
         "  -C DIR        the configuration directory (default: the checkout's etc/,\n"
         "                else /etc/zvon)\n"
         "  -h, --help    show this help\n"
         "  -V, --version show the version\n";
}

}  // namespace zvon
