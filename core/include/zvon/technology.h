// A channel technology ("SIP"): makes outgoing channels for Dial.
#pragma once
#include <memory>
#include <string_view>

#include "zvon/result.h"

namespace zvon {

class Channel;
class Loop;

class ChannelTechnology {
 public:
  virtual ~ChannelTechnology() = default;
  virtual std::string_view name() const = 0;  // "SIP"
  virtual std::string_view description() const = 0;
  // Makes an outgoing channel to `destination` ("101", "101@trunk", ...) on `loop`, not yet
  // calling: Dial watches it, then calls Channel::call(). `requester` is the channel that
  // dials (its caller ID is passed on), or nullptr. The loop's thread.
  // Fails with a reason when the destination is unknown or unreachable (not registered).
  virtual Result<std::shared_ptr<Channel>> request(Loop& loop, std::string_view destination,
                                                   Channel* requester) = 0;
};

}  // namespace zvon
