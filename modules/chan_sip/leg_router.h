// Finds a call leg (the worker side of a SIP call) by id on its loop. The SIP thread never
// holds a pointer to a leg: it posts `fn` with the leg's id to the leg's loop, and the loop
// runs it only if the leg still exists there.
//
// Threads: post() any thread; add()/remove()/find() the given loop's thread; flush() only from
// a thread that is not a worker (module unload on the core loop).
#pragma once
#include <cstdint>
#include <functional>
#include <memory>
#include <unordered_map>

#include "zvon/loop.h"

namespace zvon::sip {

class CallLeg;

class LegRouter {
 public:
  explicit LegRouter(Loops& loops);

  // Runs fn(leg) on `loop` if leg `id` lives there by then.
  void post(Loop& loop, uint64_t id, std::function<void(CallLeg&)> fn);
  // Runs fn on `loop` (for work that creates a leg).
  void post(Loop& loop, std::function<void()> fn) { loop.post(std::move(fn)); }

  bool knows(Loop& loop) const { return tables_.count(&loop) != 0; }
  void add(Loop& loop, uint64_t id, CallLeg* leg);
  void remove(Loop& loop, uint64_t id);
  CallLeg* find(Loop& loop, uint64_t id);

  // Returns once every worker ran what had been posted to it before: after this, no job
  // of this module is left in a loop's queue (so its code can be unloaded).
  void flush();

 private:
  using Table = std::unordered_map<uint64_t, CallLeg*>;
  Loops& loops_;
  std::unordered_map<Loop*, std::unique_ptr<Table>> tables_;  // fixed after construction
};

}  // namespace zvon::sip
