// The live channels, one list per worker loop (channels never live on the core loop), each touched only on its loop's thread; the console
// reads them by running on each loop in turn.
#pragma once
#include <atomic>
#include <unordered_map>
#include <unordered_set>

#include "zvon/core.h"

namespace zvon {

class ChannelRegistry final : public Channels {
 public:
  explicit ChannelRegistry(Loops& loops);
  // The channel's loop thread.
  void add(Channel& channel);
  void remove(Channel& channel);

  std::vector<ChannelInfo> list() override;
  size_t count() const override { return count_.load(); }
  // Names of the channels that pin `module` (as technology or running application).
  std::vector<std::string> users_of(const std::string& module);
  // Hangs up every channel on `loop` (shutdown). That loop's thread.
  void hangup_all(Loop& loop);

 private:
  Loops& loops_;
  std::unordered_map<Loop*, std::unordered_set<Channel*>> per_loop_;  // keys fixed at start
  std::atomic<size_t> count_{0};
};

}  // namespace zvon
