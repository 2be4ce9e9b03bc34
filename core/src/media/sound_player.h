// Plays a Sound to a channel: 20 ms frames at the sound's rate sent through the channel's media endpoint from a
// timer on the channel's loop, on a schedule kept from the start so timer lateness does not
// add up. The channel's loop thread only; destroying the player stops it.
#pragma once
#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "sound_file.h"
#include "zvon/loop.h"

namespace zvon {

class Channel;

class SoundPlayer {
 public:
  static constexpr uint64_t kFrameMs = 20;

  SoundPlayer(Channel& channel, std::shared_ptr<const Sound> sound);
  SoundPlayer(const SoundPlayer&) = delete;
  SoundPlayer& operator=(const SoundPlayer&) = delete;

  // Sends the first frame now and the rest on schedule; wakes the channel after the last.
  void start();
  bool finished() const { return finished_; }
  size_t frames_sent() const { return next_frame_; }

 private:
  // After a stall of the loop at most this many late frames go out at once; older ones are
  // skipped, since a burst would only overflow the far end's jitter buffer.
  static constexpr size_t kMaxBurst = 5;
  void tick();
  void send_frame(size_t index);

  Channel& channel_;
  std::shared_ptr<const Sound> sound_;
  std::vector<int16_t> frame_;  // one frame, the last one padded with silence
  size_t frames_ = 0;
  size_t next_frame_ = 0;
  uint64_t start_ms_ = 0;
  bool finished_ = false;
  UvHandle<uv_timer_t> timer_;  // last: closed first, before what its callback reads
};

}  // namespace zvon
