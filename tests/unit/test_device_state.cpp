#include <catch2/catch.hpp>

#include <mutex>
#include <vector>

#include "device_state_registry.h"
#include "event_bus.h"
#include "zvon/device_state.h"

using namespace zvon;
using DS = DeviceState;

namespace {

std::string_view aggregate(std::initializer_list<DS> states) {
  std::vector<DS> v(states);
  return to_string(to_extension_state(aggregate_devices(v)));
}

}  // namespace

TEST_CASE("device state: a channel's part in its device's state", "[device_state]") {
  CHECK(channel_device_state(ChannelState::Dialing, Direction::Outbound, false) == DS::Ringing);
  CHECK(channel_device_state(ChannelState::Ringing, Direction::Outbound, false) == DS::Ringing);
  CHECK(channel_device_state(ChannelState::Progress, Direction::Outbound, false) == DS::Ringing);
  // The phone calling out is in use, whatever it hears.
  CHECK(channel_device_state(ChannelState::Ring, Direction::Inbound, false) == DS::InUse);
  CHECK(channel_device_state(ChannelState::Ringing, Direction::Inbound, false) == DS::InUse);
  CHECK(channel_device_state(ChannelState::Up, Direction::Outbound, false) == DS::InUse);
  CHECK(channel_device_state(ChannelState::Up, Direction::Inbound, true) == DS::OnHold);
  CHECK(channel_device_state(ChannelState::Hungup, Direction::Outbound, true) == DS::NotInUse);
  CHECK(channel_device_state(ChannelState::Down, Direction::Inbound, false) == DS::NotInUse);
  CHECK(device_of_channel("SIP/101-0000002a") == "SIP/101");
  CHECK(device_of_channel("SIP/front-desk-0000002a") == "SIP/front-desk");
  CHECK(device_of_channel("SIP/101") == "SIP/101");
}

TEST_CASE("device state: a hint's aggregate follows Asterisk's rules", "[device_state]") {
  CHECK(aggregate({}) == "Unavailable");  // no device at all
  CHECK(aggregate({DS::NotInUse}) == "Idle");
  CHECK(aggregate({DS::Unknown}) == "Idle");
  CHECK(aggregate({DS::Unavailable, DS::Unavailable}) == "Unavailable");
  CHECK(aggregate({DS::Unavailable, DS::NotInUse}) == "Idle");
  CHECK(aggregate({DS::NotInUse, DS::InUse}) == "InUse");
  CHECK(aggregate({DS::Ringing, DS::NotInUse}) == "Ringing");
  CHECK(aggregate({DS::Ringing, DS::InUse}) == "InUse&Ringing");
  CHECK(aggregate({DS::InUse, DS::Ringing, DS::NotInUse}) == "InUse&Ringing");
  CHECK(aggregate({DS::OnHold, DS::Ringing}) == "InUse&Ringing");  // held counts as in use
  CHECK(aggregate({DS::OnHold, DS::NotInUse}) == "Hold");
  CHECK(aggregate({DS::OnHold, DS::InUse}) == "InUse");
  CHECK(aggregate({DS::Busy, DS::InUse}) == "Busy");
  CHECK(aggregate({DS::RingInUse}) == "InUse&Ringing");
  CHECK(function_text(ExtensionState::InUseRinging) == "RINGINUSE");
  CHECK(function_text(ExtensionState::Idle) == "NOT_INUSE");
  CHECK(to_string(DS::NotInUse) == "NOT_INUSE");
}

TEST_CASE("device states: channels and reports change hints, watchers and events", "[device_state]") {
  EventBusImpl bus;
  std::mutex mutex;
  std::vector<std::string> events;
  auto sub = bus.subscribe([&](const Event& e) {
    std::lock_guard lock(mutex);
    if (e.type == "ExtensionStatus")
      events.push_back(e.type + " " + *e.get("exten") + "@" + *e.get("context") + " " + *e.get("status_text"));
    else
      events.push_back(e.type + " " + *e.get("device") + " " + *e.get("state"));
  });
  DeviceStateRegistry reg(bus);
  reg.set_hints({{"101", "internal", "SIP/101&sip/101b"}, {"102", "internal", "SIP/102"}});
  CHECK(reg.extension_state("101", "internal") == ExtensionState::Idle);
  CHECK_FALSE(reg.extension_state("103", "internal"));

  std::vector<ExtensionState> seen;
  {
    auto w = reg.watch("101", "internal", [&](ExtensionState s) { seen.push_back(s); });
    reg.report("SIP/101", DS::Unavailable);
    reg.report("SIP/101b", DS::Unavailable);
    CHECK(reg.device_state("sip/101") == DS::Unavailable);
    reg.report("SIP/101", DS::NotInUse);
    // An outgoing call rings the second device, then the first calls out, then it answers.
    reg.channel_changed("SIP/101b", DS::NotInUse, DS::Ringing);
    reg.channel_changed("SIP/101", DS::NotInUse, DS::InUse);
    reg.channel_changed("SIP/101b", DS::Ringing, DS::InUse);
    reg.channel_changed("SIP/101", DS::InUse, DS::NotInUse);
    reg.channel_changed("SIP/101b", DS::InUse, DS::NotInUse);
    reg.channel_changed("SIP/102", DS::NotInUse, DS::InUse);  // another hint: no watcher call
    CHECK(reg.hints().front().watchers == 1);
  }
  reg.channel_changed("SIP/101", DS::NotInUse, DS::Ringing);  // the watcher is gone
  CHECK(seen == std::vector<ExtensionState>{ExtensionState::Unavailable, ExtensionState::Idle,
                                            ExtensionState::Ringing, ExtensionState::InUseRinging,
                                            ExtensionState::InUse, ExtensionState::Idle});
  CHECK(reg.hints().front().watchers == 0);
  CHECK(reg.hints().front().state == ExtensionState::Ringing);
  // The first device unavailable makes the hint so (the other is unknown, which ranks lower).
  CHECK(events.at(0) == "DeviceStateChange SIP/101 UNAVAILABLE");
  CHECK(events.at(1) == "ExtensionStatus 101@internal Unavailable");
  CHECK(events.at(2) == "DeviceStateChange SIP/101b UNAVAILABLE");  // the technology is case-insensitive

  // A reload that changes the hint's devices recomputes it and tells the watchers.
  auto w = reg.watch("101", "internal", [&](ExtensionState s) { seen.push_back(s); });
  seen.clear();
  reg.set_hints({{"101", "internal", "SIP/102"}});
  CHECK(seen == std::vector<ExtensionState>{ExtensionState::InUse});
  CHECK(reg.hints().size() == 1);
  // A reload without the hint: its watchers hear Unavailable, and it is gone.
  seen.clear();
  reg.set_hints({{"102", "internal", "SIP/102"}});
  CHECK(seen == std::vector<ExtensionState>{ExtensionState::Unavailable});
  CHECK_FALSE(reg.extension_state("101", "internal"));
}
