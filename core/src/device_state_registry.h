// The core's DeviceStates: a count per device of its channels that ring, are in use or held,
// what drivers reported, and the hints of the running dialplan with their last state and
// watchers. A device's change recomputes only the hints that name it (an index rebuilt when
// the dialplan is swapped). Any thread; one mutex, taken on channel state changes, driver
// reports and dialplan swaps only.
#pragma once
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "zvon/device_state.h"
#include "zvon/events.h"

namespace zvon {

struct HintDefinition {
  std::string exten;
  std::string context;
  std::string devices;  // "SIP/101&SIP/101b"
};

// One line of `dialplan show hints`.
struct HintStatus {
  HintDefinition hint;
  ExtensionState state = ExtensionState::Idle;
  size_t watchers = 0;
};

class DeviceStateRegistry final : public DeviceStates {
 public:
  explicit DeviceStateRegistry(EventBus& events) : events_(events) {}

  DeviceState device_state(std::string_view device) override;
  void report(std::string_view device, DeviceState state) override;
  std::optional<ExtensionState> extension_state(std::string_view exten, std::string_view context) override;
  Registration watch(std::string exten, std::string context,
                     std::function<void(ExtensionState)> on_change) override;

  // A channel of `device` went from contributing `before` to `after` (channel_device_state).
  void channel_changed(std::string_view device, DeviceState before, DeviceState after);
  // The hints of the dialplan just installed. Watchers of a hint whose state it changes are
  // told; those of a hint it removed are told Unavailable (extension_state() then says none).
  void set_hints(std::vector<HintDefinition> hints);
  // Every hint, sorted by context then extension.
  std::vector<HintStatus> hints();

 private:
  struct Device {
    int ringing = 0, in_use = 0, on_hold = 0;  // channels
    DeviceState reported = DeviceState::Unknown;
    DeviceState last = DeviceState::Unknown;
  };
  struct Hint {
    HintDefinition definition;
    std::vector<std::string> devices;  // normalised
    ExtensionState last = ExtensionState::Idle;
  };
  using Watchers = std::map<uint64_t, std::function<void(ExtensionState)>>;

  DeviceState state_locked(const std::string& key) const;
  ExtensionState hint_state_locked(const Hint& hint) const;
  // After `key` changed: its event and those of its hints, into `out`; watchers are told.
  void device_changed_locked(const std::string& key, std::vector<Event>& out);
  void hint_changed_locked(const std::string& hint_key, Hint& hint, std::vector<Event>& out);
  void publish(std::vector<Event> events);

  EventBus& events_;
  std::mutex mutex_;
  std::unordered_map<std::string, Device> devices_;
  std::map<std::string, Hint> hints_;  // by "exten@context"
  std::unordered_map<std::string, std::vector<std::string>> hints_of_device_;
  std::map<std::string, Watchers> watchers_;  // by "exten@context"; they outlive reloads
  uint64_t next_watcher_ = 1;
};

}  // namespace zvon
