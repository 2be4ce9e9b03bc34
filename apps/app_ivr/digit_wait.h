// Waiting on a channel for the caller's keys. The digits the channel received and no
// application has used yet are in Channel::pending_digits(); these helpers wait for more and
// take used ones out. The channel's loop; a hang-up throws ChannelHungUp.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>

#include "zvon/channel.h"
#include "zvon/task.h"

namespace zvon::ivr {

// Waits until the channel has more than `have` pending digits (true) or the loop's clock
// reaches `deadline_ms` (false).
Task<bool> wait_for_digit(Channel& channel, size_t have, uint64_t deadline_ms);

// Removes the first `count` pending digits: they have been used.
void take_digits(Channel& channel, size_t count);

// The deadline `seconds` from now on the channel's loop clock.
uint64_t deadline_after(Channel& channel, double seconds);

// Parses a number of seconds ("5", "0.5") above 0 and at most a day; false otherwise.
bool parse_seconds(const std::string& text, double& seconds);

}  // namespace zvon::ivr
