// Wait(seconds): pauses the dialplan; fractions are fine (Wait(0.5)). A hang-up ends it early.
#include <chrono>
#include <cstdlib>

#include "zvon/application_module.h"
#include "zvon/core.h"
#include "zvon/log.h"

namespace zvon {
namespace {

class Wait final : public Application {
 public:
  std::string_view name() const override { return "Wait"; }
  std::string_view synopsis() const override { return "Waits for a number of seconds"; }
  std::string_view usage() const override { return "Wait(seconds)"; }
  Task<AppResult> exec(Channel& channel, const AppArgs& args) override {
    std::string text = args.empty() ? std::string() : args[0];
    char* end = nullptr;
    double seconds = std::strtod(text.c_str(), &end);
    // Capped at a day so the milliseconds cannot overflow.
    if (text.empty() || *end != '\0' || !(seconds >= 0) || seconds > 86400) {
      log(LogLevel::Warning, "app_wait", channel.name(), ": Wait(", text,
          "): give the seconds to wait, from 0 to 86400");
      co_return AppResult::Continue;
    }
    uint64_t deadline = channel.loop().now_ms() + uint64_t(seconds * 1000.0 + 0.5);
    // Every state change of the channel (a DTMF digit, say) wakes the wait early: wait again
    // for what is left.
    for (;;) {
      uint64_t now = channel.loop().now_ms();
      if (now >= deadline) break;
      co_await channel.wait(std::chrono::milliseconds(deadline - now));
    }
    co_return AppResult::Continue;
  }
};

}  // namespace
}  // namespace zvon

ZVON_MODULE("app_wait", "Wait(): pauses the dialplan", "", zvon::ApplicationModule<zvon::Wait>::load)
