// One direction of a transcoded bridge: RTP payloads of one codec in, payloads of another
// out, along the path find_translation_path() picked. Output timestamps count in the target's
// RTP clock from an arbitrary base.
//
// With a jitter buffer (the default where a path decodes), received packets go into it with
// buffer() and the receiving session's 20 ms playout clock takes one frame at a time out
// with play(): reordering, loss (PLC, Opus FEC), late packets and the delay are the buffer's.
// Without one, translate() decodes each packet as it comes: a jump in sequence numbers of up
// to kMaxConcealed packets is concealed and older packets are dropped.
// Everything is allocated when it is made; translate() does not allocate. One stream, one
// thread (the receiving session's loop).
#pragma once
#include <array>
#include <cstdint>
#include <memory>
#include <string_view>
#include <vector>

#include "frame_encoder.h"
#include "zvon/jitter_buffer.h"
#include "translation_path.h"
#include "zvon/media.h"

namespace zvon {

class Translator {
 public:
  static constexpr int kMaxConcealed = 3;

  struct Stats {
    uint64_t packets = 0;
    uint64_t concealed = 0;  // lost packets filled in by the codec (FEC or PLC)
    uint64_t late = 0;       // dropped: older than the stream had reached
  };

  // `to_fmtp`: the fmtp the receiver of `to` declared; `frame_ms`: its packet time. Null
  // (and a reason in `why`) when the codecs cannot make the path's encoder or decoder.
  // `jitter`: the buffer's settings for a path that decodes; null or disabled for none.
  static std::unique_ptr<Translator> make(const Codec& from, const Codec& to,
                                          std::string_view to_fmtp, int frame_ms, std::string* why,
                                          const JitterBufferSettings* jitter = nullptr);

  const TranslationPath& path() const { return path_; }
  const Stats& stats() const { return stats_; }
  // One received audio packet, decoded now (no jitter buffer).
  void translate(const RtpPacket& packet, PayloadSink& sink);

  // With a jitter buffer: a received packet goes in ...
  bool buffered() const { return jb_ != nullptr; }
  void buffer(const RtpPacket& packet, uint64_t arrival_ms) { jb_->put(packet, arrival_ms); }
  // ... and every 20 ms one frame comes out, encoded into `sink` unless it is silence.
  JitterBuffer::Frame play(uint64_t playout_ms, PayloadSink& sink);
  // Null without one.
  const JitterBuffer* jitter_buffer() const { return jb_.get(); }
  // Use make(), which makes the decoder and encoder the path needs.
  Translator(const Codec& from, const Codec& to, TranslationPath path);

  // A new source: forget sequence numbers, timing and codec history that belonged to the old.
  void restart();
  // The output timestamp of input timestamp `in_ts` (the first one seen after restart()
  // anchors the mapping): RFC 4733 packets of the same source are relayed on it, so digits
  // stay in step with the transcoded audio.
  uint32_t map_timestamp(uint32_t in_ts);

 private:
  uint32_t out_timestamp(uint32_t in_ts);
  void emit_pcm(std::span<const int16_t> pcm, uint32_t in_ts, PayloadSink& sink);

  TranslationPath path_;
  int from_clock_, to_clock_;
  bool from_ulaw_ = false;  // ByteMap direction
  std::unique_ptr<CodecDecoder> decoder_;
  std::unique_ptr<FrameEncoder> encoder_;
  std::vector<int16_t> pcm_;                    // one decoded packet
  std::array<uint8_t, FrameEncoder::kMaxPayload> mapped_{};  // ByteMap output

  bool seq_started_ = false;
  bool timing_started_ = false;
  uint16_t next_seq_ = 0;
  uint32_t in_base_ = 0;    // in_ts at out_base_
  uint32_t out_base_ = 0;
  size_t last_samples_ = 0; // decoded samples of the last packet, the length of a lost one
  Stats stats_;
  std::unique_ptr<JitterBuffer> jb_;  // after decoder_, which it decodes with
  uint32_t played_ts_ = 0;            // output timestamp of the next frame play() gives
};

}  // namespace zvon
