// The dialplan runtime: runs a channel through the loaded dialplan as a coroutine on its loop.
#pragma once
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "zvon/channel.h"
#include "zvon/result.h"

namespace zvon {

// What a dialed number can still become in a context: Asterisk's exists / matchmore (and
// canmatch: either of the two).
struct DigitMatch {
  bool exact = false;  // an extension (or pattern) matches the number as it is
  bool more = false;   // some extension would match it with more digits after it
};

class DialplanRuntime {
 public:
  virtual ~DialplanRuntime() = default;
  // Runs `channel` from context/exten priority 1 until the dialplan ends or the channel hangs
  // up; then hangs it up. The channel's loop thread. When no such extension exists the
  // channel is hung up with HangupCause::Unallocated.
  virtual void start(std::shared_ptr<Channel> channel, std::string context, std::string exten) = 0;
  // Does context/exten (a pattern match counts) exist? Any thread.
  virtual bool exists(std::string_view context, std::string_view exten) const = 0;
  // Does context/exten match, and would a longer number that starts with it (patterns and
  // includes count)? For collecting a caller's keys without a fixed look-ahead. Any thread.
  virtual DigitMatch lookahead(std::string_view context, std::string_view exten) const = 0;
  // The priority number of `label_or_number` in context/exten, for Goto. Any thread.
  virtual Result<int> find_priority(std::string_view context, std::string_view exten,
                                    std::string_view label_or_number) const = 0;
  // Expands ${VAR}, ${FUNC(args)} in `text` for `channel`. The channel's loop.
  virtual Result<std::string> expand(Channel& channel, std::string_view text) = 0;
  // Re-reads the dialplan files. On error the running dialplan stays and the error says
  // file:line and what is wrong. Any thread.
  virtual Result<void> reload() = 0;
};

}  // namespace zvon
