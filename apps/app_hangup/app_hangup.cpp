// Hangup([cause]): ends the call, with a Q.850 cause number when given (17 busy, 19 no
// answer, 1 unallocated, ...), else with the cause set earlier (by Dial) or normal clearing.
#include <charconv>

#include "zvon/application_module.h"
#include "zvon/core.h"
#include "zvon/log.h"

namespace zvon {
namespace {

class Hangup final : public Application {
 public:
  std::string_view name() const override { return "Hangup"; }
  std::string_view synopsis() const override { return "Hangs up the channel"; }
  std::string_view usage() const override { return "Hangup([cause number])"; }
  Task<AppResult> exec(Channel& channel, const AppArgs& args) override {
    if (args.empty() || args[0].empty()) {
      channel.hangup();
      co_return AppResult::Stop;
    }
    const std::string& text = args[0];
    int cause = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), cause);
    if (ec != std::errc() || end != text.data() + text.size() || cause < 0 || cause > 127) {
      log(LogLevel::Warning, "app_hangup", channel.name(), ": Hangup(", text,
          "): the cause must be a number from 0 to 127; hanging up with normal clearing");
      channel.hangup(HangupCause::Normal);
    } else {
      channel.hangup(static_cast<HangupCause>(cause));
    }
    co_return AppResult::Stop;
  }
};

}  // namespace
}  // namespace zvon

ZVON_MODULE("app_hangup", "Hangup(): ends the call", "", zvon::ApplicationModule<zvon::Hangup>::load)
