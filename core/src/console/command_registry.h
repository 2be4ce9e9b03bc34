// Console commands by their words. The core loop's thread, except add() and the Registration
// handles it returns, which any thread may use.
#pragma once
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "zvon/console.h"
#include "zvon/result.h"
#include "zvon/module.h"

namespace zvon {

class CommandRegistry {
 public:
  struct Entry {
    ConsoleCommand command;
    std::string owner;  // module name, or "core"
  };

  // Fails when the same words are registered already.
  Result<Registration> add(ConsoleCommand command, std::string owner);
  // Runs the command whose words are the longest prefix of `line`. Unknown commands print a
  // hint and return 1.
  int execute(std::string_view line, CommandOutput& out);
  // The same through the command's run_later when it has one; `done` gets the whole output
  // and the status, at once for the other commands.
  void execute_later(std::string_view line, std::function<void(std::string output, int status)> done);
  // Completions for the last word of `line` (a word per entry, without the line's start).
  std::vector<std::string> complete(std::string_view line);
  // `help [words...]`.
  void help(const std::vector<std::string>& prefix, CommandOutput& out);
  std::vector<std::string> command_lines();

  static std::vector<std::string> split_words(std::string_view line);

 private:
  std::shared_ptr<const Entry> find(const std::vector<std::string>& words, size_t& used);
  std::mutex mutex_;
  std::vector<std::shared_ptr<const Entry>> entries_;
};

}  // namespace zvon
