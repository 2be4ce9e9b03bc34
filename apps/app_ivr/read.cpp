#include "read.h"

#include <cctype>
#include <cstdlib>
#include <string>
#include <vector>

#include "digit_reader.h"
#include "digit_wait.h"
#include "zvon/extension_collector.h"
#include "zvon/channel.h"
#include "zvon/log.h"
#include "zvon/playback.h"

namespace zvon::ivr {
namespace {

constexpr std::string_view kLog = "app_ivr";

bool parse_count(const std::string& text, long low, long high, long& out) {
  char* end = nullptr;
  long v = std::strtol(text.c_str(), &end, 10);
  if (text.empty() || *end != '\0' || v < low || v > high) return false;
  out = v;
  return true;
}

bool valid_variable_name(const std::string& name) {
  if (name.empty() || name.size() > 80) return false;
  for (char c : name)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_')) return false;
  return true;
}

struct ReadSettings {
  std::string variable;
  std::vector<std::string> files;
  long max_digits = 0;
  bool skip = false, noanswer = false;
  long attempts = 1;
  double timeout = Read::kDefaultTimeoutSeconds;
};

// The error names the argument that is wrong.
std::string parse(const AppArgs& args, ReadSettings& s) {
  if (args.empty() || !valid_variable_name(args[0]))
    return "the first argument must be a variable name (letters, digits, _)";
  s.variable = args[0];
  if (args.size() > 1) s.files = split_list(args[1]);
  if (args.size() > 2 && !args[2].empty() &&
      !parse_count(args[2], 0, long(DigitReader::kMaxDigits), s.max_digits))
    return "maxdigits '" + args[2] + "' must be a number from 0 to 255";
  if (args.size() > 3) {
    for (char option : args[3]) {
      if (option == 's')
        s.skip = true;
      else if (option == 'n')
        s.noanswer = true;
      else
        return "unknown option '" + std::string(1, option) + "' (known: s, n)";
    }
  }
  // 0 means the default for both, as in Asterisk.
  if (args.size() > 4 && !args[4].empty()) {
    if (!parse_count(args[4], 0, 100, s.attempts))
      return "attempts '" + args[4] + "' must be a number from 0 to 100";
    if (s.attempts == 0) s.attempts = 1;
  }
  if (args.size() > 5 && !args[5].empty() && args[5] != "0" && !parse_seconds(args[5], s.timeout))
    return "timeout '" + args[5] + "' must be seconds from 0 to 86400";
  if (args.size() > 6) return "too many arguments";
  return {};
}

// One attempt: the prompt, then keys until the reader is complete or the timeout. Returns
// whether it completed (false: timed out).
Task<bool> read_once(Channel& channel, const ReadSettings& s, DigitReader& reader) {
  for (const auto& file : s.files) {
    if (!channel.pending_digits().empty()) break;  // typed ahead: skip the rest of the prompt
    auto played = co_await play_file(channel, file, PlaybackOptions(std::string(kDtmfSymbols)));
    if (!played)
      log(LogLevel::Warning, kLog, channel.name(), ": Read: cannot play '", file, "': ",
          played.message());
  }
  uint64_t deadline = deadline_after(channel, s.timeout);
  for (;;) {
    auto& pending = channel.pending_digits();
    if (!pending.empty()) {
      char key = pending.front();
      take_digits(channel, 1);
      if (reader.key(key) == DigitReader::State::Complete) co_return true;
      deadline = deadline_after(channel, s.timeout);
      continue;
    }
    if (!co_await wait_for_digit(channel, 0, deadline)) co_return false;
  }
}

}  // namespace

Task<AppResult> Read::exec(Channel& channel, const AppArgs& args) {
  ReadSettings s;
  if (auto error = parse(args, s); !error.empty()) {
    log(LogLevel::Warning, kLog, channel.name(), ": Read: ", error, ": ", usage());
    channel.set_var("READSTATUS", "ERROR");
    co_return AppResult::Continue;
  }
  if (channel.state() != ChannelState::Up) {
    if (s.skip) {
      channel.set_var(s.variable, "");
      channel.set_var("READSTATUS", "SKIPPED");
      co_return AppResult::Continue;
    }
    if (!s.noanswer) channel.answer();
  }
  std::string status = "TIMEOUT";
  std::string value;
  DigitReader reader(size_t(s.max_digits));
  const DigitListening listening = channel.listen_for_digits();
  try {
    for (long attempt = 0; attempt < s.attempts; ++attempt) {
      reader = DigitReader(size_t(s.max_digits));
      const bool complete = co_await read_once(channel, s, reader);
      value = reader.digits();
      status = complete ? "OK" : "TIMEOUT";
      if (!value.empty()) break;
    }
  } catch (const ChannelHungUp&) {
    // The h extension may want to know how far the caller got.
    channel.set_var(s.variable, reader.digits());
    channel.set_var("READSTATUS", "HANGUP");
    throw;
  }
  log(LogLevel::Verbose, kLog, channel.name(), ": Read: ", s.variable, "='", value, "' (",
      status, ")");
  channel.set_var(s.variable, value);
  channel.set_var("READSTATUS", status);
  co_return AppResult::Continue;
}

}  // namespace zvon::ivr
