// Plays a tone list to one channel in the background: a timer on the channel's loop sends a
// 20 ms frame on a schedule kept from the start (as the prompt player does), while the
// dialplan goes on. It stops on its own when the channel hangs up or goes away, or when the
// tone list ends. Created, used and destroyed on the channel's loop.
#pragma once
#include <functional>
#include <memory>

#include "tone_list.h"
#include "zvon/channel.h"
#include "zvon/loop.h"

namespace zvon::tones {

class TonePlayer {
 public:
  // `on_stopped` runs (on the loop, from the timer) when the player stops by itself; it may
  // destroy the player, and nothing of the player is touched after it.
  TonePlayer(Channel& channel, std::vector<TonePart> parts, std::function<void()> on_stopped);
  TonePlayer(const TonePlayer&) = delete;
  TonePlayer& operator=(const TonePlayer&) = delete;

  void start();
  Loop& loop() const { return loop_; }

 private:
  static constexpr uint64_t kFrameMs = 20;
  static constexpr size_t kFrameSamples = ToneSynth::kRate / 50;
  static constexpr uint64_t kMaxBurst = 5;  // frames sent at once after a stall of the loop
  void tick();

  std::weak_ptr<Channel> channel_;
  Loop& loop_;
  ToneSynth synth_;
  std::function<void()> on_stopped_;
  uint64_t start_ms_ = 0;
  uint64_t sent_ = 0;
  UvHandle<uv_timer_t> timer_;  // last: closed first
};

}  // namespace zvon::tones
