// ${DEVICE_STATE(SIP/101)} and ${EXTENSION_STATE(101[@context])}: the state of a device and of
// an extension's hint, spelt as Asterisk spells them (NOT_INUSE, INUSE, RINGING, RINGINUSE,
// ONHOLD, UNAVAILABLE, UNKNOWN...). Read from the core's DeviceStates; the channel's loop.
#pragma once
#include <memory>
#include <vector>

#include "dialplan/builtin_functions.h"
#include "zvon/device_state.h"

namespace zvon {

std::vector<std::unique_ptr<SimpleFunction>> make_device_state_functions(DeviceStates& states);

}  // namespace zvon
