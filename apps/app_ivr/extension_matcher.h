// What WaitExten does with the digits a caller dials: go to the extension they name, wait for
// more, or call the input invalid. Pure logic over an "does this extension exist" question, so
// it follows whatever the dialplan's matching does (patterns, includes) and is unit-tested
// without a call.
#pragma once
#include <cstddef>
#include <functional>
#include <string>
#include <string_view>

namespace zvon::ivr {

// The symbols a caller can send (RFC 4733 events 0-15).
inline constexpr std::string_view kDtmfSymbols = "0123456789*#ABCD";

// Does `exten` exist (exactly or through a pattern) in the context being dialed in?
using ExtensionExists = std::function<bool(std::string_view exten)>;

// How far past the dialed digits we look for a longer extension: `1` waits for more when
// an extension of up to two more keys (`_1X`, `_1XX`, `123`) could still come. The dialplan
// runtime offers only exists(), so we ask it about each continuation: 12 + 144 questions per
// key press. Three keys ahead would be 1728 more, about 11 ms of a loop's time per key in a
// debug build with a thousand extensions: too long to hold up the other calls of the loop.
inline constexpr size_t kLookAhead = 2;

// True when some extension longer than `dialed` by 1 to `depth` keys exists.
bool could_extend(std::string_view dialed, const ExtensionExists& exists, size_t depth = kLookAhead);

// Feeds one key at a time, in the order pressed. Every answer is final except Wait.
class ExtensionCollector {
 public:
  enum class Action {
    Wait,     // keep listening; on the digit timeout call timed_out()
    Go,       // go to exten(), priority 1
    Invalid,  // no extension matches what was dialed (dialed() says what)
    Timeout,  // nothing was dialed before the response timeout
  };

  explicit ExtensionCollector(ExtensionExists exists) : exists_(std::move(exists)) {}

  // A key was pressed. '#' after some digits ends the number when it is not part of an
  // extension itself ("12#" dials 12).
  Action key(char symbol);
  // The wait for the next key ran out.
  Action timed_out();

  const std::string& dialed() const { return dialed_; }
  // The extension to go to after Go.
  const std::string& exten() const { return exten_; }

 private:
  ExtensionExists exists_;
  std::string dialed_;
  std::string exten_;
  bool complete_ = false;  // dialed_ is an extension, but a longer one could still come
};

}  // namespace zvon::ivr
