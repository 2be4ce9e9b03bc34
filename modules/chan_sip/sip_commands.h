// Console commands of chan_sip: `sip show peers`, `sip show registrations`. The core loop.
#pragma once
#include <vector>

#include "zvon/module.h"
#include "zvon/result.h"

namespace zvon::sip {

struct SipShared;

// Registers the commands; the handles unregister them.
Result<std::vector<Registration>> register_sip_commands(SipShared& shared);

}  // namespace zvon::sip
