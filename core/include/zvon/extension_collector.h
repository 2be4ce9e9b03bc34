// What a caller's keys dial in a voice menu (WaitExten, and `dialplan route ... digits=`): go
// to the extension they name, wait for more, or call the input invalid. Pure logic over the
// dialplan's lookahead question (zvon/dialplan.h), so it follows whatever the dialplan's
// matching does (patterns, includes) and is unit-tested without a call.
#pragma once
#include <functional>
#include <string>
#include <string_view>

#include "zvon/dialplan.h"

namespace zvon {

// The symbols a caller can send (RFC 4733 events 0-15).
inline constexpr std::string_view kDtmfSymbols = "0123456789*#ABCD";

// What the context being dialed in says of a number: does it match, could a longer one?
using DigitLookup = std::function<DigitMatch(std::string_view exten)>;

// Feeds one key at a time, in the order pressed. Every answer is final except Wait.
class ExtensionCollector {
 public:
  enum class Action {
    Wait,     // keep listening; on the digit timeout call timed_out()
    Go,       // go to exten(), priority 1
    Invalid,  // no extension matches what was dialed (dialed() says what)
    Timeout,  // nothing was dialed before the response timeout
  };

  explicit ExtensionCollector(DigitLookup lookup) : lookup_(std::move(lookup)) {}

  // A key was pressed. '#' after some digits ends the number when it is not part of an
  // extension itself ("12#" dials 12).
  Action key(char symbol);
  // The wait for the next key ran out.
  Action timed_out();

  const std::string& dialed() const { return dialed_; }
  // The extension to go to after Go.
  const std::string& exten() const { return exten_; }

 private:
  DigitLookup lookup_;
  std::string dialed_;
  std::string exten_;
  bool complete_ = false;  // dialed_ is an extension, but a longer one could still come
};

}  // namespace zvon
