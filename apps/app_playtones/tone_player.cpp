#include "tone_player.h"

#include <array>

namespace zvon::tones {

TonePlayer::TonePlayer(Channel& channel, std::vector<TonePart> parts,
                       std::function<void()> on_stopped)
    : channel_(channel.weak_from_this()),
      loop_(channel.loop()),
      synth_(std::move(parts)),
      on_stopped_(std::move(on_stopped)) {}

void TonePlayer::start() {
  uv_timer_init(loop_.uv(), timer_.get());
  timer_.mark_open();
  timer_.get()->data = this;
  start_ms_ = loop_.now_ms();
  tick();
}

void TonePlayer::tick() {
  auto channel = channel_.lock();
  MediaEndpoint* media = channel && !channel->hung_up() ? channel->media() : nullptr;
  if (!media || synth_.finished()) {
    uv_timer_stop(timer_.get());
    auto done = std::move(on_stopped_);
    if (done) done();  // may destroy this
    return;
  }
  const uint64_t now = loop_.now_ms();
  const uint64_t due = (now - start_ms_) / kFrameMs + 1;
  if (due > sent_ + kMaxBurst) {
    // The loop stalled: skip what is too late rather than burst it at the far end.
    std::array<int16_t, kFrameSamples> skipped{};
    while (due > sent_ + kMaxBurst) {
      synth_.fill(skipped);
      ++sent_;
    }
  }
  std::array<int16_t, kFrameSamples> frame{};
  while (sent_ < due) {
    synth_.fill(frame);
    media->send_audio(frame);
    ++sent_;
  }
  const uint64_t next_ms = start_ms_ + sent_ * kFrameMs;
  uv_timer_start(
      timer_.get(), [](uv_timer_t* t) { static_cast<TonePlayer*>(t->data)->tick(); },
      next_ms > now ? next_ms - now : 0, 0);
}

}  // namespace zvon::tones
