// The event bus. Any thread publishes and subscribes; subscribers run on the publisher's thread.
#pragma once
#include <memory>
#include <mutex>
#include <vector>

#include "zvon/events.h"

namespace zvon {

class EventBusImpl final : public EventBus {
 public:
  Registration subscribe(std::function<void(const Event&)> subscriber) override;
  void publish(Event event) override;

 private:
  struct Subscriber {
    uint64_t id;
    std::function<void(const Event&)> fn;
  };
  using List = std::vector<std::shared_ptr<const Subscriber>>;
  std::mutex mutex_;  // held only to swap the list: publishing copies a pointer, not the list
  std::shared_ptr<const List> list_ = std::make_shared<List>();
  uint64_t next_id_ = 1;
};

}  // namespace zvon
