// Received RTP of one codec as 20 ms PCM frames, for whatever listens to what a leg says
// (in-band DTMF detection; recording): the codec's decoder behind a JitterBuffer, played out
// by a PlayoutClock on the loop. With the jitter buffer off (rtp.conf jbenable = no) each
// packet is decoded as it arrives instead, in 20 ms pieces, and gaps are left.
//
// A consumer needs two lines: make() with its frame handler, and put() for each received
// audio packet. Nothing is allocated per packet. The loop's thread.
#pragma once
#include <functional>
#include <memory>
#include <span>
#include <vector>

#include "zvon/jitter_buffer.h"
#include "playout_clock.h"

namespace zvon {

class DecodedStream {
 public:
  // `pcm` is one 20 ms frame at the rate asked for; `kind` says whether it is audio,
  // concealment or silence (the sender paused).
  using FrameHandler = std::function<void(std::span<const int16_t> pcm, JitterBuffer::Frame kind)>;

  // Null when `codec` cannot decode at `pcm_rate`.
  static std::unique_ptr<DecodedStream> make(Loop& loop, const Codec& codec, int pcm_rate,
                                             const JitterBufferSettings& settings, FrameHandler on_frame);
  void put(const RtpPacket& packet);
  // Null with the jitter buffer off.
  const JitterBuffer* jitter_buffer() const { return jb_.get(); }

  DecodedStream(Loop& loop, std::unique_ptr<CodecDecoder> decoder, int clock_rate, int pcm_rate,
                const JitterBufferSettings& settings, FrameHandler on_frame);

 private:
  bool tick(uint64_t playout_ms);
  Loop& loop_;
  std::unique_ptr<CodecDecoder> decoder_;
  FrameHandler on_frame_;
  std::vector<int16_t> pcm_;
  size_t frame_samples_;
  std::unique_ptr<JitterBuffer> jb_;     // after decoder_: it uses it
  std::unique_ptr<PlayoutClock> clock_;  // last: stopped first
};

}  // namespace zvon
