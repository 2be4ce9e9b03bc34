// Console commands, registered by modules and the core. They run on the core loop.
#pragma once
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace zvon {

class CommandOutput {
 public:
  virtual ~CommandOutput() = default;
  virtual void write(std::string_view text) = 0;
  void line(std::string_view text) {
    write(text);
    write("\n");
  }
};

struct ConsoleCommand {
  // The fixed words that select the command, e.g. {"module", "unload"}.
  std::vector<std::string> words;
  // What follows them, for help: "<module>".
  std::string arguments;
  std::string summary;
  // Runs with the words after the fixed ones; returns the exit status (0 success).
  std::function<int(const std::vector<std::string>& args, CommandOutput& out)> run;
  // Completions for the argument being typed: `args` are the complete ones before it.
  std::function<std::vector<std::string>(const std::vector<std::string>& args,
                                         std::string_view partial)>
      complete;
  // Optional, for a command whose work must not hold the core loop (it runs on a thread of its
  // own and ends later): the console calls this instead of `run`, and the command calls
  // `done(output, status)` once, on the core loop. `run` stays for callers that wait.
  std::function<void(const std::vector<std::string>& args,
                     std::function<void(std::string output, int status)> done)>
      run_later = nullptr;
};

}  // namespace zvon
