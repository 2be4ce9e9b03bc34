#include "zvon/device_state.h"

namespace zvon {

std::string_view to_string(DeviceState s) {
  switch (s) {
    case DeviceState::Unknown: return "UNKNOWN";
    case DeviceState::NotInUse: return "NOT_INUSE";
    case DeviceState::InUse: return "INUSE";
    case DeviceState::Busy: return "BUSY";
    case DeviceState::Invalid: return "INVALID";
    case DeviceState::Unavailable: return "UNAVAILABLE";
    case DeviceState::Ringing: return "RINGING";
    case DeviceState::RingInUse: return "RINGINUSE";
    case DeviceState::OnHold: return "ONHOLD";
  }
  return "UNKNOWN";
}

std::string_view to_string(ExtensionState s) {
  switch (s) {
    case ExtensionState::Idle: return "Idle";
    case ExtensionState::InUse: return "InUse";
    case ExtensionState::Busy: return "Busy";
    case ExtensionState::Unavailable: return "Unavailable";
    case ExtensionState::Ringing: return "Ringing";
    case ExtensionState::InUseRinging: return "InUse&Ringing";
    case ExtensionState::OnHold: return "Hold";
  }
  return "Unknown";
}

std::string_view function_text(ExtensionState s) {
  switch (s) {
    case ExtensionState::Idle: return "NOT_INUSE";
    case ExtensionState::InUse: return "INUSE";
    case ExtensionState::Busy: return "BUSY";
    case ExtensionState::Unavailable: return "UNAVAILABLE";
    case ExtensionState::Ringing: return "RINGING";
    case ExtensionState::InUseRinging: return "RINGINUSE";
    case ExtensionState::OnHold: return "ONHOLD";
  }
  return "UNKNOWN";
}

DeviceState channel_device_state(ChannelState state, Direction direction, bool held) {
  switch (state) {
    case ChannelState::Down:
    case ChannelState::Hungup: return DeviceState::NotInUse;
    case ChannelState::Up: return held ? DeviceState::OnHold : DeviceState::InUse;
    case ChannelState::Dialing:
    case ChannelState::Ringing:
    case ChannelState::Progress:
      // Our call to the device alerts it; the device's own call out is a use of it.
      return direction == Direction::Outbound ? DeviceState::Ringing : DeviceState::InUse;
    case ChannelState::Ring: return DeviceState::InUse;
  }
  return DeviceState::NotInUse;
}

std::string_view device_of_channel(std::string_view name) {
  size_t dash = name.rfind('-');
  size_t slash = name.find('/');
  if (dash == std::string_view::npos || slash == std::string_view::npos || dash < slash) return name;
  return name.substr(0, dash);
}

namespace {

// Asterisk's precedence of one device over another in an aggregate.
int rank(DeviceState s) {
  switch (s) {
    case DeviceState::Invalid: return 0;
    case DeviceState::Unknown: return 1;
    case DeviceState::Unavailable: return 2;
    case DeviceState::NotInUse: return 3;
    case DeviceState::OnHold: return 4;
    case DeviceState::Ringing: return 5;
    case DeviceState::InUse: return 6;
    case DeviceState::Busy: return 7;
    case DeviceState::RingInUse: return 8;
  }
  return 0;
}

}  // namespace

DeviceState aggregate_devices(std::span<const DeviceState> states) {
  DeviceState out = DeviceState::Invalid;
  bool ringing = false, in_use = false;
  for (DeviceState s : states) {
    if (s == DeviceState::Ringing) ringing = true;
    else if (s == DeviceState::InUse || s == DeviceState::OnHold || s == DeviceState::Busy) in_use = true;
    if (ringing && in_use) out = DeviceState::RingInUse;
    else if (rank(s) > rank(out)) out = s;
  }
  return out;
}

ExtensionState to_extension_state(DeviceState s) {
  switch (s) {
    case DeviceState::OnHold: return ExtensionState::OnHold;
    case DeviceState::Busy: return ExtensionState::Busy;
    case DeviceState::Unknown:
    case DeviceState::NotInUse: return ExtensionState::Idle;
    case DeviceState::Unavailable:
    case DeviceState::Invalid: return ExtensionState::Unavailable;
    case DeviceState::RingInUse: return ExtensionState::InUseRinging;
    case DeviceState::Ringing: return ExtensionState::Ringing;
    case DeviceState::InUse: return ExtensionState::InUse;
  }
  return ExtensionState::Idle;
}

}  // namespace zvon
