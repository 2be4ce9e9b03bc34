// Dialplan applications and functions, registered by modules. exec() runs as a coroutine
// on the channel's loop.
#pragma once
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "zvon/result.h"
#include "zvon/task.h"

namespace zvon {

class Channel;

// The application's arguments, already variable-expanded and split at top-level commas.
using AppArgs = std::vector<std::string>;

// An argument that is a list ("hello&menu", "SIP/101&SIP/102") split at `separator`; empty
// items are dropped.
inline std::vector<std::string> split_list(std::string_view argument, char separator = '&') {
  std::vector<std::string> items;
  size_t start = 0;
  while (start <= argument.size()) {
    size_t end = argument.find(separator, start);
    if (end == std::string_view::npos) end = argument.size();
    if (end > start) items.emplace_back(argument.substr(start, end - start));
    start = end + 1;
  }
  return items;
}

enum class AppResult {
  Continue,  // go on with the next priority
  Jumped,    // the app set channel.location(): continue there
  Stop,      // end the dialplan and hang up
};

class Application {
 public:
  virtual ~Application() = default;
  virtual std::string_view name() const = 0;      // "Dial"
  virtual std::string_view synopsis() const = 0;  // one line for `core show applications`
  virtual std::string_view usage() const { return {}; }  // "Dial(Tech/dest[&...][,timeout])"
  // Runs the application. Hang-up while suspended throws ChannelHungUp out of it.
  virtual Task<AppResult> exec(Channel& channel, const AppArgs& args) = 0;
  // Applications that never wait (NoOp, Set, Goto...) also run here, without a coroutine:
  // the engine tries run_now() first and awaits exec() only on nullopt, the default.
  virtual std::optional<AppResult> run_now(Channel&, const AppArgs&) { return std::nullopt; }
};

// An application that never waits: it writes run(), which both run_now() and exec() call.
class InstantApplication : public Application {
 public:
  virtual AppResult run(Channel& channel, const AppArgs& args) = 0;
  std::optional<AppResult> run_now(Channel& channel, const AppArgs& args) final {
    return run(channel, args);
  }
  Task<AppResult> exec(Channel& channel, const AppArgs& args) final { co_return run(channel, args); }
};

// ${NAME(args)} in the dialplan.
class DialplanFunction {
 public:
  virtual ~DialplanFunction() = default;
  virtual std::string_view name() const = 0;  // "CALLERID"
  virtual Result<std::string> read(Channel& channel, std::string_view args) = 0;
  virtual Result<void> write(Channel&, std::string_view, std::string_view) {
    return make_error(std::string(name()) + " cannot be assigned to");
  }
};

}  // namespace zvon
