// NoOp(text), Verbose([level,]text), Log(level,text): notes in the log from the dialplan.
// NoOp writes nothing (its expanded arguments show in `dialplan trace` and verbose logs).
#include <cctype>

#include "zvon/application_module.h"
#include "zvon/core.h"
#include "zvon/log.h"

namespace zvon {
namespace {

std::string join(const AppArgs& args, size_t from) {
  std::string out;
  for (size_t i = from; i < args.size(); ++i) out += (i > from ? "," : "") + args[i];
  return out;
}

class NoOp final : public InstantApplication {
 public:
  std::string_view name() const override { return "NoOp"; }
  std::string_view synopsis() const override { return "Does nothing (its arguments show in traces)"; }
  AppResult run(Channel&, const AppArgs&) override { return AppResult::Continue; }
};

class Verbose final : public InstantApplication {
 public:
  std::string_view name() const override { return "Verbose"; }
  std::string_view synopsis() const override { return "Writes a line to the log at verbose level"; }
  std::string_view usage() const override { return "Verbose([level,]text)"; }
  AppResult run(Channel& channel, const AppArgs& args) override {
    // Asterisk's verbosity number is accepted and not used: zvon has one verbose level.
    size_t from = 0;
    if (args.size() > 1 && !args[0].empty() &&
        std::isdigit(static_cast<unsigned char>(args[0][0])) && args[0].size() <= 2)
      from = 1;
    log(LogLevel::Verbose, "dialplan", channel.name(), ": ", join(args, from));
    return AppResult::Continue;
  }
};

class Log final : public InstantApplication {
 public:
  std::string_view name() const override { return "Log"; }
  std::string_view synopsis() const override { return "Writes a line to the log at the given level"; }
  std::string_view usage() const override { return "Log(ERROR|WARNING|NOTICE|VERBOSE|DEBUG,text)"; }
  AppResult run(Channel& channel, const AppArgs& args) override {
    std::string level_name = args.empty() ? "" : args[0];
    for (auto& c : level_name) c = char(std::tolower(static_cast<unsigned char>(c)));
    LogLevel level = LogLevel::Notice;
    if (!parse_log_level(level_name, level)) {
      log(LogLevel::Warning, "dialplan", channel.name(), ": Log(", level_name, ",...): the level must be ",
          "ERROR, WARNING, NOTICE, VERBOSE or DEBUG; logging as NOTICE");
      level = LogLevel::Notice;
    }
    log(level, "dialplan", channel.name(), ": ", join(args, 1));
    return AppResult::Continue;
  }
};

using VerboseModule = ApplicationModule<NoOp, Verbose, Log>;

}  // namespace
}  // namespace zvon

ZVON_MODULE("app_verbose", "NoOp(), Verbose(), Log(): notes from the dialplan", "", zvon::VerboseModule::load)
