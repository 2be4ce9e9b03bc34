// The event bus: every state change of a channel, bridge, registration... is published here.
// Subscribers run on the publishing thread and must be quick and thread-safe (copy, post).
#pragma once
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "zvon/module.h"

namespace zvon {

struct Event {
  std::string type;  // "ChannelCreated", "ChannelState", "ChannelHangup", "Registration", ...
  uint64_t time_us = 0;  // wall clock, microseconds since the epoch
  std::vector<std::pair<std::string, std::string>> fields;

  Event& add(std::string key, std::string value) {
    fields.emplace_back(std::move(key), std::move(value));
    return *this;
  }
  const std::string* get(std::string_view key) const {
    for (auto& [k, v] : fields)
      if (k == key) return &v;
    return nullptr;
  }
};

class EventBus {
 public:
  virtual ~EventBus() = default;
  virtual Registration subscribe(std::function<void(const Event&)> subscriber) = 0;
  // Stamps time_us when it is 0. Any thread.
  virtual void publish(Event event) = 0;
};

}  // namespace zvon
