#include "playout_clock.h"

namespace zvon {

PlayoutClock::PlayoutClock(Loop& loop, std::function<bool(uint64_t)> tick)
    : loop_(loop), tick_(std::move(tick)) {
  if (uv_timer_init(loop_.uv(), timer_.get()) != 0) return;
  timer_.mark_open();
  timer_.get()->data = this;
}

void PlayoutClock::kick() {
  if (running_ || !timer_.get()->data) return;
  running_ = true;
  start_ms_ = loop_.now_ms();
  frames_ = 0;
  fire();
}

void PlayoutClock::fire() {
  const uint64_t now = loop_.now_ms();
  const uint64_t due = (now - start_ms_) / kFrameMs + 1;
  if (due > frames_ + kMaxBurst) frames_ = due - kMaxBurst;
  while (frames_ < due) {
    if (!tick_(start_ms_ + frames_ * kFrameMs)) {
      running_ = false;
      return;
    }
    ++frames_;
  }
  const uint64_t next_ms = start_ms_ + frames_ * kFrameMs;
  uv_timer_start(
      timer_.get(), [](uv_timer_t* t) { static_cast<PlayoutClock*>(t->data)->fire(); },
      next_ms > now ? next_ms - now : 0, 0);
}

}  // namespace zvon
