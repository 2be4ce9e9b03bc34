// Goto([[context,]exten,]priority): continues the dialplan elsewhere. The priority is a
// number or a label; the extension may be a number a pattern matches. A missing extension
// goes to the context's i extension (the engine does it), a missing priority ends the call.
#include "zvon/application_module.h"
#include "zvon/core.h"
#include "zvon/log.h"

namespace zvon {
namespace {

class Goto final : public InstantApplication {
 public:
  std::string_view name() const override { return "Goto"; }
  std::string_view synopsis() const override { return "Jumps to another place in the dialplan"; }
  std::string_view usage() const override { return "Goto([[context,]exten,]priority|label)"; }
  AppResult run(Channel& channel, const AppArgs& args) override {
    DialplanLocation target = channel.location();
    switch (args.size()) {
      case 1:
        break;
      case 2:
        target.exten = args[0];
        break;
      case 3:
        target.context = args[0];
        target.exten = args[1];
        break;
      default:
        log(LogLevel::Error, "app_goto", channel.name(), ": Goto takes 1 to 3 arguments: ", usage());
        return AppResult::Stop;
    }
    const std::string& where = args.back();
    if (where.empty() || target.exten.empty() || target.context.empty()) {
      log(LogLevel::Error, "app_goto", channel.name(), ": Goto with an empty part: ", usage());
      return AppResult::Stop;
    }
    if (!channel.core().dialplan().exists(target.context, target.exten)) {
      // No such extension: the dialplan engine sends the call to the context's i extension
      // (${INVALID_EXTEN}), or ends it, as Asterisk does.
      target.priority = 1;
      channel.location() = std::move(target);
      return AppResult::Jumped;
    }
    auto number = channel.core().dialplan().find_priority(target.context, target.exten, where);
    if (!number) {
      log(LogLevel::Error, "app_goto", channel.name(), ": Goto(", target.context, ",",
          target.exten, ",", where, "): ", number.message());
      return AppResult::Stop;
    }
    target.priority = *number;
    channel.location() = std::move(target);
    return AppResult::Jumped;
  }
};

}  // namespace
}  // namespace zvon

ZVON_MODULE("app_goto", "Goto(): jumps in the dialplan", "", zvon::ApplicationModule<zvon::Goto>::load)
