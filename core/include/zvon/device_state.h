// Device state and extension state (Asterisk's names), for busy lamp fields and the
// DEVICE_STATE() / EXTENSION_STATE() functions. A device is what a hint names ("SIP/101"):
// its state comes from the core's channels of that device (ringing, up, held) and, when it
// has none, from what its channel driver reported (registered: NOT_INUSE, no contact:
// UNAVAILABLE). An extension's state is the aggregate of its hint's devices.
#pragma once
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "zvon/channel.h"
#include "zvon/module.h"

namespace zvon {

enum class DeviceState { Unknown, NotInUse, InUse, Busy, Invalid, Unavailable, Ringing, RingInUse, OnHold };
// "NOT_INUSE", "RINGINUSE"... as DEVICE_STATE() returns them.
std::string_view to_string(DeviceState);

// Asterisk's AST_EXTENSION_* values (the AMI's numeric Status).
enum class ExtensionState : int {
  Idle = 0,
  InUse = 1,
  Busy = 2,
  Unavailable = 4,
  Ringing = 8,
  InUseRinging = 9,
  OnHold = 16,
};
// "Idle", "InUse&Ringing"...: the AMI's StatusText.
std::string_view to_string(ExtensionState);
// "NOT_INUSE", "RINGINUSE"...: what EXTENSION_STATE() returns.
std::string_view function_text(ExtensionState);

// What one channel says about its device: Ringing while an outgoing leg alerts, InUse while
// a call is set up or up, OnHold while the far end holds it, NotInUse once hung up.
DeviceState channel_device_state(ChannelState state, Direction direction, bool held);
// The device of one of its channels: "SIP/101" for the channel "SIP/101-0000002a".
std::string_view device_of_channel(std::string_view channel_name);
// The aggregate of several devices (a hint's), with Asterisk's precedence: ringing and in use
// together make RingInUse, else the highest of Invalid < Unknown < Unavailable < NotInUse <
// OnHold < Ringing < InUse < Busy. No device at all: Invalid.
DeviceState aggregate_devices(std::span<const DeviceState> states);
ExtensionState to_extension_state(DeviceState aggregate);

// The core's table of device states. Any thread; a short mutex is taken on channel state
// changes and driver reports, never per packet.
class DeviceStates {
 public:
  virtual ~DeviceStates() = default;
  virtual DeviceState device_state(std::string_view device) = 0;
  // A channel driver says whether `device` can be reached: NotInUse (registered, idle),
  // Unavailable (no contact), Unknown (forget what was said). Channels of the device win over it.
  virtual void report(std::string_view device, DeviceState state) = 0;
  // The state of exten@context's hint; nullopt when the running dialplan has no such hint.
  virtual std::optional<ExtensionState> extension_state(std::string_view exten, std::string_view context) = 0;
  // Calls `on_change` with the new state every time exten@context's hint changes state, until
  // the Registration goes. It runs on the thread that made the change, under the table's
  // lock: it must be quick (post the work elsewhere) and must not call into DeviceStates.
  virtual Registration watch(std::string exten, std::string context,
                             std::function<void(ExtensionState)> on_change) = 0;
};

}  // namespace zvon
