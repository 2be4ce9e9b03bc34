// Listens to a call leg (a MediaTap on its endpoint) and hands on, every 20 ms of the loop's
// clock, one frame of what the leg's phone said (received) and one of what it heard (sent to
// it: the bridged party, prompts, music), silence where nothing came. Paced by the clock, not
// by packets, so a recording lasts as long as the call did, through silence suppression and
// hold. What piles up after a stall (a burst) is dropped down to kResyncFrames, so the two
// directions stay together.
//
// The channel's loop. The endpoint must outlive the recorder (the channel's media does: a
// recorder lives inside an application or a channel attachment).
#pragma once
#include <cstdint>
#include <span>
#include <vector>

#include "leg_decoder.h"
#include "zvon/loop.h"
#include "zvon/media.h"

namespace zvon::record {

class CallRecorder final : MediaTap {
 public:
  class Sink {
   public:
    virtual ~Sink() = default;
    // 20 ms of each direction at the recorder's rate; valid during the call.
    virtual void on_frames(std::span<const int16_t> received, std::span<const int16_t> sent) = 0;
  };
  // Frames wait this long for their packets (jitter) before they are due.
  static constexpr uint64_t kDelayMs = 40;
  static constexpr size_t kMaxQueuedFrames = 6;
  static constexpr size_t kResyncFrames = 2;

  CallRecorder(Loop& loop, MediaEndpoint& endpoint, int rate, Sink& sink);
  ~CallRecorder() override;
  CallRecorder(const CallRecorder&) = delete;
  CallRecorder& operator=(const CallRecorder&) = delete;

  int rate() const { return received_.rate(); }
  uint64_t frames() const { return frames_; }

 private:
  void on_rtp_received(const MediaEndpoint& endpoint, const RtpPacket& packet) override;
  void on_rtp_sent(const MediaEndpoint& endpoint, const RtpPacket& packet) override;
  void tick();
  void next_frame(LegDecoder& leg, std::vector<int16_t>& frame);

  Loop& loop_;
  MediaEndpoint& endpoint_;
  Sink& sink_;
  LegDecoder received_, sent_;
  std::vector<int16_t> received_frame_, sent_frame_;
  uint64_t start_ms_ = 0;
  uint64_t frames_ = 0;
  UvHandle<uv_timer_t> timer_;  // last: closed first
};

}  // namespace zvon::record
