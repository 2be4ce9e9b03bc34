// Where a voice menu sends the call: an extension of the context the channel is in, at
// priority 1, or the special extensions t (no answer in time), i (invalid input) and e
// (Asterisk's catch-all for both). Uses only the public dialplan API.
#pragma once
#include <string_view>

#include "zvon/channel.h"

namespace zvon::ivr {

// Moves the channel to `exten`, priority 1, of its current context; false (and nothing
// changed) when that does not exist.
bool jump_to(Channel& channel, std::string_view exten);

// Goes to `special` ("t" or "i") or else to "e"; false when the context has neither, after
// logging why the call ends. `what` describes the event for that log line.
bool jump_to_special(Channel& channel, std::string_view special, std::string_view what);

}  // namespace zvon::ivr
