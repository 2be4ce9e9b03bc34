// Playback(file[&file2...][,options]): plays prompts to the caller, answering first as
// Asterisk does. Options: noanswer (play as early media, or fail without it), skip (play
// only when the channel is already up). Sets PLAYBACKSTATUS to SUCCESS or FAILED; a file that
// cannot be played is logged and the next one is tried.
#include <string>
#include <vector>

#include "zvon/application_module.h"
#include "zvon/core.h"
#include "zvon/log.h"
#include "zvon/playback.h"

namespace zvon {
namespace {

constexpr std::string_view kLog = "app_playback";

class Playback final : public Application {
 public:
  std::string_view name() const override { return "Playback"; }
  std::string_view synopsis() const override { return "Plays sound files to the channel"; }
  std::string_view usage() const override { return "Playback(file[&file2...][,noanswer|skip])"; }

  Task<AppResult> exec(Channel& channel, const AppArgs& args) override {
    std::vector<std::string> files = args.empty() ? std::vector<std::string>{} : split_list(args[0]);
    bool noanswer = false, skip = false;
    for (size_t i = 1; i < args.size(); ++i) {
      if (args[i] == "noanswer")
        noanswer = true;
      else if (args[i] == "skip")
        skip = true;
      else if (!args[i].empty())
        log(LogLevel::Warning, kLog, channel.name(), ": unknown Playback option '", args[i],
            "' (known: noanswer, skip)");
    }
    if (files.empty()) {
      log(LogLevel::Warning, kLog, channel.name(), ": Playback needs a file name");
      channel.set_var("PLAYBACKSTATUS", "FAILED");
      co_return AppResult::Continue;
    }
    if (channel.state() != ChannelState::Up) {
      if (skip) {
        channel.set_var("PLAYBACKSTATUS", "SUCCESS");
        co_return AppResult::Continue;
      }
      if (!noanswer) channel.answer();
    }

    bool failed = false;
    for (const auto& file : files) {
      auto played = co_await play_file(channel, file);
      if (!played) {
        failed = true;
        log(LogLevel::Warning, kLog, channel.name(), ": cannot play '", file, "': ", played.message());
      }
    }
    channel.set_var("PLAYBACKSTATUS", failed ? "FAILED" : "SUCCESS");
    co_return AppResult::Continue;
  }
};

using PlaybackModule = ApplicationModule<Playback>;

}  // namespace
}  // namespace zvon

ZVON_MODULE("app_playback", "Playback(): plays sound files", "", zvon::PlaybackModule::load)
