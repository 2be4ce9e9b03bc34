// THE place recording decodes: the RTP of one direction of one call leg in, 20 ms frames of
// mono 16-bit PCM at a fixed rate out. Record and MixMonitor hear a leg only through this
// class.
//
// The codec is the endpoint's (looked up per packet, so a re-INVITE to another codec makes a
// new decoder, its module pinned while it decodes). What the peer sends crosses a network:
// for that direction (`buffered`) the packets go into the endpoint's jitter buffer
// (zvon/jitter_buffer.h, rtp.conf jb*) and play() takes one 20 ms frame out on the
// recorder's clock. What zvon sends is its own, in order and on time: it is decoded as it
// goes, a jump in sequence numbers of up to kMaxConcealed packets filled by the codec's
// concealment or silence, packets older than the stream has reached dropped. The same holds
// for the peer's direction when the endpoint's jitter buffer is off. Telephone-event and any
// other payload type are ignored. Decoded audio waits in a ring (copied in and out in blocks)
// for pop(); when it is full, the oldest frames go.
// Allocates when made and when the codec changes, not per packet. The leg's loop.
#pragma once
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "zvon/codec.h"
#include "zvon/jitter_buffer.h"
#include "zvon/media.h"
#include "zvon/module.h"

namespace zvon::record {

class LegDecoder {
 public:
  static constexpr int kFrameMs = 20;
  static constexpr int kMaxConcealed = 3;

  // Frames at `rate`; at most `max_queued_ms` of them wait (older ones are dropped).
  // `buffered`: the peer's direction, played out through a jitter buffer.
  LegDecoder(int rate, bool buffered, int max_queued_ms = 1000);

  int rate() const { return rate_; }
  size_t frame_samples() const { return size_t(rate_) * kFrameMs / 1000; }

  // One packet of this direction, as `endpoint` received or sent it at `now_ms` (the loop's
  // clock).
  void push(const MediaEndpoint& endpoint, const RtpPacket& packet, uint64_t now_ms);
  // The 20 ms frame due at `playout_ms` out of the jitter buffer into the queue, before
  // pop(); nothing without one.
  void play(uint64_t playout_ms);
  // Takes the oldest frame into `frame` (frame_samples() long); false when none is ready.
  bool pop(std::span<int16_t> frame);
  size_t frames_queued() const { return queued_ / frame_samples(); }
  // Forgets the oldest `frames` (a burst after a stall: the recording keeps real time).
  void drop(size_t frames);

 private:
  bool use_codec(const MediaEndpoint& endpoint);
  void emit(std::span<const int16_t> pcm);  // at decode_rate_: into the queue at rate_
  void enqueue(std::span<const int16_t> pcm);  // at rate_
  void advance(size_t samples);               // the oldest samples leave the queue

  int rate_;
  Pinned<Codec> codec_;
  std::unique_ptr<CodecDecoder> decoder_;  // after codec_: destroyed first
  bool buffered_;
  std::unique_ptr<JitterBuffer> jitter_;   // after decoder_: it decodes with it
  int decode_rate_ = 0;
  std::vector<int16_t> pcm_;  // one decoded packet
  double resample_pos_ = 0;   // when decode_rate_ != rate_ (a codec change mid-call)
  int16_t resample_last_ = 0;

  bool started_ = false;
  uint16_t next_seq_ = 0;
  uint32_t ssrc_ = 0;
  size_t last_samples_ = 0;  // decoded samples of the last packet: the length of a lost one

  std::vector<int16_t> queue_;  // a ring of whole frames
  size_t head_ = 0, queued_ = 0;
};

}  // namespace zvon::record
