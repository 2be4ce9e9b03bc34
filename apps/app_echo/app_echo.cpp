// Echo(): sends the caller's audio (and RFC 4733 digits) straight back until the caller hangs
// up or presses '#'. The packets are relayed on the channel's loop without decoding.
#include "zvon/bridge.h"
#include "zvon/application_module.h"
#include "zvon/core.h"
#include "zvon/log.h"

namespace zvon {
namespace {

class EchoApp final : public Application {
 public:
  std::string_view name() const override { return "Echo"; }
  std::string_view synopsis() const override {
    return "Sends the caller's audio back to it until hang-up or '#'";
  }
  std::string_view usage() const override { return "Echo()"; }

  Task<AppResult> exec(Channel& channel, const AppArgs&) override {
    // Media flows once the caller has been answered (or given early media).
    if (channel.state() != ChannelState::Up && channel.state() != ChannelState::Progress)
      channel.answer();
    if (!channel.media()) {
      log(LogLevel::Warning, "app_echo", channel.name(), ": no media to echo");
      co_return AppResult::Continue;
    }
    Echo echo(channel);
    const DigitListening listening = channel.listen_for_digits();  // for the '#'
    const size_t digits_from = channel.pending_digits().size();
    for (;;) {
      co_await channel.wait();  // throws ChannelHungUp at hang-up; ~Echo unplugs it
      auto& digits = channel.pending_digits();
      if (auto hash = digits.find('#', digits_from); hash != std::string::npos) {
        digits.erase(hash, 1);
        co_return AppResult::Continue;
      }
      echo.refresh();  // a re-INVITE may have replaced the media endpoint
    }
  }
};

}  // namespace
}  // namespace zvon

ZVON_MODULE("app_echo", "Echo(): echoes the caller's audio back", "", zvon::ApplicationModule<zvon::EchoApp>::load)
