// An adaptive jitter buffer in front of a decoder: RTP packets go in as they arrive (out of
// order, late, twice), and every 20 ms the playout clock takes out exactly one frame of PCM —
// decoded, concealed by the codec (PLC, or Opus FEC from the packet that follows a loss), or
// silence when the sender is quiet.
//
// Playout delay. Each packet's transit (arrival minus RTP timestamp) is compared with the
// fastest transit of the last few seconds; that difference is the packet's jitter. The target
// delay follows the peak jitter: it jumps up at once when a packet comes later than the
// target (so the next such packet is on time), and decays by a few milliseconds per second
// while the network is calm. The buffer reaches the target by playing one frame twice
// (concealment) or by skipping one: skipping only in silence — a timestamp gap (DTX, a new
// talk spurt), or a decoded frame with almost no energy — unless the delay has run far over
// the target (the sender's clock is fast), and re-anchoring on the first packet of a talk
// spurt (marker bit) after silence. The delay stays within [min_ms, max_ms].
//
// Resynchronisation: a new SSRC, or a timestamp more than resync_ms away from the playout
// point, flushes the buffer and starts over at that packet.
//
// In front of any "RTP -> 20 ms PCM" consumer: in the core, DecodedStream (decoded_stream.h)
// puts one with its decoder and a PlayoutClock (playout_clock.h) whose tick calls get();
// recording (apps/app_record, LegDecoder) calls get() from its own 20 ms mixing clock. Nothing is
// allocated after construction: packets are copied into a fixed ring. One stream, one thread.
#pragma once
#include <array>
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "zvon/codec.h"
#include "zvon/media.h"
#include "zvon/rtp.h"

namespace zvon {

class JitterBuffer {
 public:
  static constexpr int kFrameMs = 20;
  static constexpr size_t kSlots = 32;         // packets held at most (640 ms of 20 ms packets)
  static constexpr size_t kSlotBytes = 640;    // largest payload kept (G.711 at 80 ms)
  static constexpr int kMaxDelayMs = 500;      // jbmaxsize at most: the ring must hold it

  enum class Frame { Silence, Concealed, Audio };

  using Stats = JitterBufferStats;  // in zvon/rtp.h, beside the settings

  // `decoder` decodes at `pcm_rate` the codec whose RTP clock is `clock_rate`; it must outlive
  // the buffer.
  JitterBuffer(const JitterBufferSettings& settings, CodecDecoder& decoder, int clock_rate, int pcm_rate);

  // One received audio packet; `arrival_ms` on the same clock as get()'s.
  void put(const RtpPacket& packet, uint64_t arrival_ms);
  void put(uint32_t ssrc, uint16_t seq, uint32_t timestamp, bool marker,
           std::span<const uint8_t> payload, uint64_t arrival_ms);
  // The next 20 ms: writes frame_samples() samples to `out` (at least that long).
  // `playout_ms` is the time the frame is due by the playout schedule (not when the timer
  // fired), so a late timer does not look like a longer delay.
  Frame get(uint64_t playout_ms, std::span<int16_t> out);

  size_t frame_samples() const { return frame_samples_; }
  const Stats& stats() const { return *stats_; }
  // The same, for whoever shows them after the buffer has gone (the leg whose stream it was).
  std::shared_ptr<const Stats> shared_stats() const { return stats_; }
  // Nothing buffered and nothing left to conceal: the clock may stop until the next put().
  bool idle() const;
  // Forgets the stream (a new source): the next packet starts a new timeline.
  void reset();

 private:
  struct Slot {
    bool used = false;
    bool marker = false;
    uint16_t seq = 0;
    uint16_t len = 0;
    int64_t ts = 0;  // unwrapped
    bool seen = false;  // this sequence number was taken (for duplicates after playing)
  };
  int64_t units(int64_t ms) const { return ms * clock_rate_ / 1000; }
  int64_t units_of_samples(size_t n) const { return int64_t(n) * clock_rate_ / pcm_rate_; }
  int ms(int64_t u) const { return int(u * 1000 / clock_rate_); }
  int64_t unwrap(uint32_t ts) const { return playout_ts_ + int32_t(ts - uint32_t(playout_ts_)); }
  Slot& slot(uint16_t seq) { return slots_[seq % kSlots]; }
  const Slot& slot(uint16_t seq) const { return slots_[seq % kSlots]; }
  std::span<uint8_t> bytes(uint16_t seq) { return std::span(arena_).subspan((seq % kSlots) * kSlotBytes, kSlotBytes); }
  void start(uint16_t seq, uint32_t ssrc, uint32_t ts, uint64_t arrival_ms);
  void resync();
  void learn(int64_t transit, uint64_t arrival_ms);
  int first_buffered() const;  // offset from next_seq_ of the first packet held, or -1
  size_t conceal(std::span<int16_t> out, std::span<const uint8_t> next);
  bool quiet(std::span<const int16_t> pcm) const;

  JitterBufferSettings settings_;
  CodecDecoder& decoder_;
  int clock_rate_;
  int pcm_rate_;
  size_t frame_samples_;
  int64_t frame_units_;

  std::array<Slot, kSlots> slots_{};
  std::vector<uint8_t> arena_;    // kSlots * kSlotBytes payload bytes
  std::vector<int16_t> staged_;   // one decoded packet, served 20 ms at a time
  size_t staged_len_ = 0;
  size_t staged_pos_ = 0;

  bool started_ = false;
  bool played_any_ = false;
  uint32_t ssrc_ = 0;
  uint16_t next_seq_ = 0;   // the next sequence number to play
  uint16_t highest_seq_ = 0;
  size_t held_ = 0;         // slots in use
  int64_t playout_ts_ = 0;  // the RTP timestamp (unwrapped) of the next sample to play
  int64_t last_dur_ = 0;    // timestamp units of the last packet played
  Frame last_kind_ = Frame::Silence;
  int64_t concealed_run_ = 0;  // units concealed since the last packet played

  // Delay estimation: the fastest transit over two windows, and the decaying peak jitter.
  int64_t base_transit_ = 0;
  int64_t window_min_ = 0, prior_window_min_ = 0;
  uint64_t window_start_ms_ = 0;
  uint64_t last_arrival_ms_ = 0;
  double peak_ms_ = 0;
  std::shared_ptr<Stats> stats_ = std::make_shared<Stats>();
};

}  // namespace zvon
