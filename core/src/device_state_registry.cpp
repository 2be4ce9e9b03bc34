#include "device_state_registry.h"

#include <algorithm>
#include <cctype>
#include <tuple>

#include "zvon/log.h"

namespace zvon {

namespace {

// "sip/101" and "SIP/101" are one device: the technology is case-insensitive, as in Asterisk.
std::string normalise(std::string_view device) {
  std::string out(device);
  size_t slash = out.find('/');
  for (size_t i = 0; i < std::min(slash, out.size()); ++i)
    out[i] = char(std::toupper(static_cast<unsigned char>(out[i])));
  return out;
}

std::string hint_key(std::string_view exten, std::string_view context) { return cat(exten, "@", context); }

std::vector<std::string> split_devices(std::string_view text) {
  std::vector<std::string> out;
  while (!text.empty()) {
    size_t amp = text.find('&');
    std::string_view one = text.substr(0, amp);
    while (!one.empty() && one.front() == ' ') one.remove_prefix(1);
    while (!one.empty() && one.back() == ' ') one.remove_suffix(1);
    if (!one.empty()) out.push_back(normalise(one));
    if (amp == std::string_view::npos) break;
    text.remove_prefix(amp + 1);
  }
  return out;
}

void count(int& n, int delta) { n = std::max(0, n + delta); }

}  // namespace

DeviceState DeviceStateRegistry::state_locked(const std::string& key) const {
  auto it = devices_.find(key);
  if (it == devices_.end()) return DeviceState::Unknown;
  const Device& d = it->second;
  if (d.ringing && (d.in_use || d.on_hold)) return DeviceState::RingInUse;
  if (d.ringing) return DeviceState::Ringing;
  if (d.in_use) return DeviceState::InUse;
  if (d.on_hold) return DeviceState::OnHold;
  return d.reported;
}

ExtensionState DeviceStateRegistry::hint_state_locked(const Hint& hint) const {
  std::vector<DeviceState> states;
  states.reserve(hint.devices.size());
  for (auto& d : hint.devices) states.push_back(state_locked(d));
  return to_extension_state(aggregate_devices(states));
}

DeviceState DeviceStateRegistry::device_state(std::string_view device) {
  std::lock_guard lock(mutex_);
  return state_locked(normalise(device));
}

void DeviceStateRegistry::report(std::string_view device, DeviceState state) {
  std::vector<Event> out;
  {
    std::lock_guard lock(mutex_);
    std::string key = normalise(device);
    devices_[key].reported = state;
    device_changed_locked(key, out);
  }
  publish(std::move(out));
}

void DeviceStateRegistry::channel_changed(std::string_view device, DeviceState before, DeviceState after) {
  if (before == after) return;
  std::vector<Event> out;
  {
    std::lock_guard lock(mutex_);
    std::string key = normalise(device);
    Device& d = devices_[key];
    for (auto [state, delta] : {std::pair{before, -1}, std::pair{after, 1}}) {
      if (state == DeviceState::Ringing) count(d.ringing, delta);
      else if (state == DeviceState::InUse) count(d.in_use, delta);
      else if (state == DeviceState::OnHold) count(d.on_hold, delta);
    }
    device_changed_locked(key, out);
  }
  publish(std::move(out));
}

void DeviceStateRegistry::device_changed_locked(const std::string& key, std::vector<Event>& out) {
  auto it = devices_.find(key);
  DeviceState now = state_locked(key);
  bool changed = now != it->second.last;
  it->second.last = now;
  // A device with no channel and nothing reported is forgotten: the table stays as small as
  // the devices in use or registered.
  if (!it->second.ringing && !it->second.in_use && !it->second.on_hold &&
      it->second.reported == DeviceState::Unknown)
    devices_.erase(it);
  if (!changed) return;
  Event e;
  e.type = "DeviceStateChange";
  e.add("device", key).add("state", std::string(to_string(now)));
  out.push_back(std::move(e));
  if (auto h = hints_of_device_.find(key); h != hints_of_device_.end())
    for (auto& hk : h->second)
      if (auto hint = hints_.find(hk); hint != hints_.end()) hint_changed_locked(hk, hint->second, out);
}

void DeviceStateRegistry::hint_changed_locked(const std::string& key, Hint& hint, std::vector<Event>& out) {
  ExtensionState now = hint_state_locked(hint);
  if (now == hint.last) return;
  hint.last = now;
  Event e;
  e.type = "ExtensionStatus";
  e.add("exten", hint.definition.exten).add("context", hint.definition.context)
      .add("hint", hint.definition.devices).add("status", std::to_string(int(now)))
      .add("status_text", std::string(to_string(now)));
  out.push_back(std::move(e));
  if (auto w = watchers_.find(key); w != watchers_.end())
    for (auto& [id, fn] : w->second) fn(now);
}

void DeviceStateRegistry::publish(std::vector<Event> events) {
  for (auto& e : events) events_.publish(std::move(e));
}

std::optional<ExtensionState> DeviceStateRegistry::extension_state(std::string_view exten, std::string_view context) {
  std::lock_guard lock(mutex_);
  auto it = hints_.find(hint_key(exten, context));
  if (it == hints_.end()) return std::nullopt;
  return it->second.last;
}

Registration DeviceStateRegistry::watch(std::string exten, std::string context,
                                        std::function<void(ExtensionState)> on_change) {
  std::lock_guard lock(mutex_);
  std::string key = hint_key(exten, context);
  uint64_t id = next_watcher_++;
  watchers_[key].emplace(id, std::move(on_change));
  return Registration([this, key, id] {
    std::lock_guard lock(mutex_);
    auto it = watchers_.find(key);
    if (it == watchers_.end()) return;
    it->second.erase(id);
    if (it->second.empty()) watchers_.erase(it);
  });
}

void DeviceStateRegistry::set_hints(std::vector<HintDefinition> definitions) {
  std::vector<Event> out;
  {
    std::lock_guard lock(mutex_);
    std::map<std::string, Hint> next;
    std::unordered_map<std::string, std::vector<std::string>> index;
    for (auto& d : definitions) {
      std::string key = hint_key(d.exten, d.context);
      Hint h;
      h.devices = split_devices(d.devices);
      h.definition = std::move(d);
      for (auto& dev : h.devices) index[dev].push_back(key);
      h.last = hint_state_locked(h);
      next.emplace(std::move(key), std::move(h));
    }
    // A hint whose devices changed with the reload tells its watchers, as a device would.
    for (auto& [key, h] : next) {
      auto old = hints_.find(key);
      if (old == hints_.end()) continue;
      h.last = old->second.last;
      hint_changed_locked(key, h, out);
    }
    // A hint the reload took away: its watchers hear Unavailable, and find it gone when they
    // ask (chan_sip then ends the subscription).
    for (auto& [key, h] : hints_)
      if (!next.count(key))
        if (auto w = watchers_.find(key); w != watchers_.end())
          for (auto& [id, fn] : w->second) fn(ExtensionState::Unavailable);
    hints_ = std::move(next);
    hints_of_device_ = std::move(index);
  }
  publish(std::move(out));
}

std::vector<HintStatus> DeviceStateRegistry::hints() {
  std::lock_guard lock(mutex_);
  std::vector<HintStatus> out;
  for (auto& [key, h] : hints_) {
    HintStatus s;
    s.hint = h.definition;
    s.state = h.last;
    if (auto w = watchers_.find(key); w != watchers_.end()) s.watchers = w->second.size();
    out.push_back(std::move(s));
  }
  std::sort(out.begin(), out.end(), [](const HintStatus& a, const HintStatus& b) {
    return std::tie(a.hint.context, a.hint.exten) < std::tie(b.hint.context, b.hint.exten);
  });
  return out;
}

}  // namespace zvon
