// Plays a music class to a channel: 20 ms frames through the channel's media endpoint from a
// timer on the channel's loop, the class's tracks one after another, round and round, until
// destroyed. The schedule is kept from the start so timer lateness does not add up.
// The channel's loop thread only.
#pragma once
#include <cstddef>
#include <cstdint>
#include <memory>

#include "moh_classes.h"
#include "zvon/hold_music.h"
#include "zvon/loop.h"

namespace zvon {
class Channel;
}

namespace zvon::moh {

class MohPlayer final : public HoldMusicPlayer {
 public:
  static constexpr size_t kFrameSamples = kRate / 50;  // 20 ms
  static constexpr uint64_t kFrameMs = 20;

  MohPlayer(Channel& channel, std::shared_ptr<const MusicClass> music);
  ~MohPlayer() override;  // publishes MusicOnHoldStop
  MohPlayer(const MohPlayer&) = delete;
  MohPlayer& operator=(const MohPlayer&) = delete;

  // Sends the first frame now and the rest on schedule.
  void start();
  uint64_t frames_sent() const { return frames_sent_; }

 private:
  // After a stall of the loop at most this many late frames go out at once.
  static constexpr uint64_t kMaxBurst = 5;
  void tick();
  void send_frame();
  void publish(const char* type);

  Channel& channel_;
  std::shared_ptr<const MusicClass> music_;  // kept alive across a reload
  size_t track_ = 0;
  size_t position_ = 0;  // sample index in the track
  uint64_t start_ms_ = 0;
  uint64_t frames_sent_ = 0;
  UvHandle<uv_timer_t> timer_;  // last: closed first
};

}  // namespace zvon::moh
