// The 20 ms playout clock of a jitter-buffered stream: a timer on the loop that calls `tick`
// once per frame on a schedule kept from its start (a late timer catches up, a stalled loop
// skips what is too old), and stops by itself when the stream falls idle, so that a call with
// nothing to decode costs no wake-ups. The loop's thread; destroying it stops it.
#pragma once
#include <cstdint>
#include <functional>

#include "zvon/loop.h"

namespace zvon {

class PlayoutClock {
 public:
  static constexpr uint64_t kFrameMs = 20;
  // `tick(playout_ms)`: one frame, due at playout_ms by the schedule; returns false when there
  // is nothing more to play, which stops the clock until the next kick().
  PlayoutClock(Loop& loop, std::function<bool(uint64_t playout_ms)> tick);
  PlayoutClock(const PlayoutClock&) = delete;
  PlayoutClock& operator=(const PlayoutClock&) = delete;

  // A packet arrived: start the schedule now unless it runs.
  void kick();

 private:
  // After a stall of the loop at most this many late frames are played at once.
  static constexpr uint64_t kMaxBurst = 5;
  void fire();

  Loop& loop_;
  std::function<bool(uint64_t)> tick_;
  bool running_ = false;
  uint64_t start_ms_ = 0;
  uint64_t frames_ = 0;
  UvHandle<uv_timer_t> timer_;  // last: closed first
};

}  // namespace zvon
