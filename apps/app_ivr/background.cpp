#include "background.h"

#include <string>
#include <vector>

#include "zvon/extension_collector.h"
#include "zvon/channel.h"
#include "zvon/log.h"
#include "zvon/playback.h"

namespace zvon::ivr {

Task<AppResult> Background::exec(Channel& channel, const AppArgs& args) {
  const std::vector<std::string> files =
      args.empty() ? std::vector<std::string>{} : split_list(args[0]);
  bool skip = false, noanswer = false;
  if (args.size() > 1) {
    for (char option : args[1]) {
      if (option == 's')
        skip = true;
      else if (option == 'n')
        noanswer = true;
      else
        log(LogLevel::Warning, "app_ivr", channel.name(), ": Background: unknown option '",
            std::string(1, option), "' (known: s, n)");
    }
  }
  if (files.empty()) {
    log(LogLevel::Warning, "app_ivr", channel.name(), ": Background needs a file name: ", usage());
    channel.set_var("BACKGROUNDSTATUS", "FAILED");
    co_return AppResult::Continue;
  }
  if (channel.state() != ChannelState::Up) {
    if (skip) {
      channel.set_var("BACKGROUNDSTATUS", "SUCCESS");
      co_return AppResult::Continue;
    }
    if (!noanswer) channel.answer();
  }
  bool failed = false;
  // From before the first prompt: a caller who knows the menu keys it at once.
  const DigitListening listening = channel.listen_for_digits();
  for (const auto& file : files) {
    // Keys already pressed: the caller knows what they want, the rest of the menu can go.
    if (!channel.pending_digits().empty()) break;
    auto played = co_await play_file(channel, file, PlaybackOptions(std::string(kDtmfSymbols)));
    if (!played) {
      failed = true;
      log(LogLevel::Warning, "app_ivr", channel.name(), ": Background: cannot play '", file,
          "': ", played.message());
    }
  }
  channel.set_var("BACKGROUNDSTATUS", failed ? "FAILED" : "SUCCESS");
  co_return AppResult::Continue;
}

}  // namespace zvon::ivr
