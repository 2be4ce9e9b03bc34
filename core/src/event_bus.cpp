#include "event_bus.h"

#include <chrono>

#include "zvon/log.h"

namespace zvon {

Registration EventBusImpl::subscribe(std::function<void(const Event&)> subscriber) {
  std::lock_guard lock(mutex_);
  uint64_t id = next_id_++;
  auto next = std::make_shared<List>(*list_);
  next->push_back(std::make_shared<const Subscriber>(Subscriber{id, std::move(subscriber)}));
  list_ = std::move(next);
  return Registration([this, id] {
    std::lock_guard lock(mutex_);
    auto next = std::make_shared<List>(*list_);
    std::erase_if(*next, [id](const auto& s) { return s->id == id; });
    list_ = std::move(next);
  });
}

void EventBusImpl::publish(Event event) {
  if (event.time_us == 0)
    event.time_us = uint64_t(std::chrono::duration_cast<std::chrono::microseconds>(
                                 std::chrono::system_clock::now().time_since_epoch())
                                 .count());
  std::shared_ptr<const List> list;
  {
    std::lock_guard lock(mutex_);
    list = list_;
  }
  for (auto& s : *list) {
    try {
      s->fn(event);
    } catch (const std::exception& e) {
      log(LogLevel::Error, "events", "a subscriber to ", event.type, " threw: ", e.what());
    }
  }
}

}  // namespace zvon
