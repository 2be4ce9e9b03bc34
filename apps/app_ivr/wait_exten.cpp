#include "wait_exten.h"

#include <string>

#include "digit_wait.h"
#include "menu_jump.h"
#include "timeout_function.h"
#include "zvon/core.h"
#include "zvon/extension_collector.h"
#include "zvon/log.h"

namespace zvon::ivr {

Task<AppResult> WaitExten::exec(Channel& channel, const AppArgs& args) {
  double seconds = response_timeout(channel);
  if (!args.empty() && !args[0].empty() && args[0] != "0" && !parse_seconds(args[0], seconds)) {
    seconds = response_timeout(channel);
    log(LogLevel::Warning, "app_ivr", channel.name(), ": WaitExten(", args[0],
        "): the seconds must be a number from 0 to 86400; waiting ", seconds);
  }
  const double between_keys = digit_timeout(channel);
  if (args.size() > 1 && !args[1].empty())
    log(LogLevel::Notice, "app_ivr", channel.name(), ": WaitExten: options ('", args[1],
        "') are not supported and are ignored");

  const std::string context = channel.location().context;
  DialplanRuntime& dialplan = channel.core().dialplan();
  ExtensionCollector collector(
      [&dialplan, &context](std::string_view exten) { return dialplan.lookahead(context, exten); });

  const DigitListening listening = channel.listen_for_digits();
  uint64_t deadline = deadline_after(channel, seconds);
  size_t used = 0;  // pending digits fed to the collector
  auto action = ExtensionCollector::Action::Wait;
  while (action == ExtensionCollector::Action::Wait) {
    if (used < channel.pending_digits().size()) {
      action = collector.key(channel.pending_digits()[used++]);
      if (action == ExtensionCollector::Action::Wait)
        deadline = deadline_after(channel, between_keys);
      continue;
    }
    if (!co_await wait_for_digit(channel, used, deadline)) action = collector.timed_out();
  }
  // What was used is gone; later keys stay for the next menu.
  take_digits(channel, used);

  switch (action) {
    case ExtensionCollector::Action::Go:
      if (jump_to(channel, collector.exten())) co_return AppResult::Jumped;
      log(LogLevel::Warning, "app_ivr", channel.name(), ": WaitExten: extension '",
          collector.exten(), "' of [", context, "] has no priority 1");
      [[fallthrough]];
    case ExtensionCollector::Action::Invalid:
      channel.set_var("INVALID_EXTEN", collector.dialed());
      if (jump_to_special(channel, "i", "invalid input '" + collector.dialed() + "'"))
        co_return AppResult::Jumped;
      co_return AppResult::Stop;
    case ExtensionCollector::Action::Timeout:
    case ExtensionCollector::Action::Wait:
      break;
  }
  if (jump_to_special(channel, "t", "no key within the timeout")) co_return AppResult::Jumped;
  co_return AppResult::Stop;
}

}  // namespace zvon::ivr
