// SayNumber(number[,gender]) and SayDigits(digits): speak a number as words ("twenty one",
// "двадцать одна") or a string digit by digit, in the channel's language (see
// channel_language(): LANGUAGE, else zvon.conf, else en). English and Russian have spelling
// rules; any other language is spelled the English way with its own prompt files when they
// exist. Both answer the call first, as Playback does, and are not interruptible.
#include <string>
#include <vector>

#include "number_words.h"
#include "zvon/application_module.h"
#include "zvon/core.h"
#include "zvon/log.h"
#include "zvon/playback.h"

namespace zvon {
namespace {

constexpr std::string_view kLog = "app_say";

Task<void> say_words(Channel& channel, const std::vector<say::Word>& words) {
  if (channel.state() != ChannelState::Up) channel.answer();
  for (const auto& word : words) {
    auto played = co_await play_file(channel, std::string(word.prompt));
    if (!played) {
      // One missing prompt should not silence the rest of the number.
      log(LogLevel::Warning, kLog, channel.name(), ": cannot say '", word.text, "': ",
          played.message());
    }
  }
}

class SayNumber final : public Application {
 public:
  std::string_view name() const override { return "SayNumber"; }
  std::string_view synopsis() const override { return "Says a number as words (en, ru)"; }
  std::string_view usage() const override { return "SayNumber(number[,m|f|n])"; }
  Task<AppResult> exec(Channel& channel, const AppArgs& args) override {
    if (args.empty() || args.size() > 2) {
      log(LogLevel::Warning, kLog, channel.name(), ": SayNumber takes 1 or 2 arguments: ", usage());
      co_return AppResult::Continue;
    }
    auto number = say::parse_number(args[0]);
    if (!number) {
      log(LogLevel::Warning, kLog, channel.name(), ": SayNumber: ", number.message());
      co_return AppResult::Continue;
    }
    auto gender = say::parse_gender(args.size() > 1 ? args[1] : std::string());
    if (!gender) {
      log(LogLevel::Warning, kLog, channel.name(), ": SayNumber: ", gender.message(),
          "; saying it masculine");
      gender = say::Gender::Masculine;
    }
    auto language = say::language_from_code(channel_language(channel));
    // A named local, not a temporary inside co_await (see PlaybackOptions in playback.h).
    const std::vector<say::Word> words = say::number_words(*number, language, *gender);
    co_await say_words(channel, words);
    co_return AppResult::Continue;
  }
};

class SayDigits final : public Application {
 public:
  std::string_view name() const override { return "SayDigits"; }
  std::string_view synopsis() const override { return "Says digits one by one (en, ru)"; }
  std::string_view usage() const override { return "SayDigits(digits)"; }
  Task<AppResult> exec(Channel& channel, const AppArgs& args) override {
    if (args.size() != 1) {
      log(LogLevel::Warning, kLog, channel.name(), ": SayDigits takes 1 argument: ", usage());
      co_return AppResult::Continue;
    }
    std::string rejected;
    auto language = say::language_from_code(channel_language(channel));
    auto words = say::digit_words(args[0], language, &rejected);
    if (!rejected.empty())
      log(LogLevel::Warning, kLog, channel.name(), ": SayDigits(", args[0], "): skipping '",
          rejected, "' (it says 0-9, * and #)");
    co_await say_words(channel, words);
    co_return AppResult::Continue;
  }
};

using SayModule = ApplicationModule<SayNumber, SayDigits>;

}  // namespace
}  // namespace zvon

ZVON_MODULE("app_say", "SayNumber(), SayDigits(): numbers and digits as speech", "", zvon::SayModule::load)
