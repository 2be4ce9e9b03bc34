#include "zvon/jitter_buffer.h"

#include <algorithm>
#include <cstring>

namespace zvon {
namespace {

// The fastest transit is the minimum over the current and the previous window this long: long
// enough to span a burst, short enough to follow a sender whose clock runs slow or fast.
constexpr uint64_t kWindowMs = 2000;
// How fast the target comes down once the jitter is gone (Ramjee et al. let the delay decay
// slowly after a spike; a few ms per second is inaudible in silence gaps).
constexpr double kDecayMsPerSecond = 8.0;
// Margin above the peak jitter: packets arrive within a frame's grain of the playout tick.
constexpr int kHeadroomMs = 10;
// Above the target by this much, a frame is skipped even when it is not silent: only a sender
// whose clock is faster than ours gets here, and a skipped frame beats a growing delay.
constexpr int kForceShrinkMs = 60;
// After this much concealment with no packet at all, the sender is taken to be silent.
constexpr int kMaxConcealMs = 60;
// A decoded frame whose mean absolute sample is below this (about -50 dBFS) is silence for
// the purpose of skipping it.
constexpr int kQuietLevel = 100;
// The largest decoded packet: 120 ms at 48 kHz (Opus).
constexpr size_t kMaxDecoded = 5760;

}  // namespace

JitterBuffer::JitterBuffer(const JitterBufferSettings& settings, CodecDecoder& decoder, int clock_rate,
                           int pcm_rate)
    : settings_(settings),
      decoder_(decoder),
      clock_rate_(clock_rate > 0 ? clock_rate : 8000),
      pcm_rate_(pcm_rate > 0 ? pcm_rate : 8000),
      frame_samples_(size_t(pcm_rate_ / (1000 / kFrameMs))),
      frame_units_(clock_rate_ / (1000 / kFrameMs)),
      arena_(kSlots * kSlotBytes),
      staged_(kMaxDecoded) {
  // The ring holds kSlots packets: a longer delay could not be buffered.
  settings_.max_ms = std::clamp(settings_.max_ms, kFrameMs, kMaxDelayMs);
  settings_.min_ms = std::clamp(settings_.min_ms, 0, settings_.max_ms);
  if (settings_.resync_ms < settings_.max_ms + 2 * kFrameMs) settings_.resync_ms = settings_.max_ms + 2 * kFrameMs;
  stats_->target_ms = settings_.min_ms;
}

void JitterBuffer::reset() {
  slots_ = {};
  held_ = 0;
  staged_len_ = staged_pos_ = 0;
  started_ = played_any_ = false;
  concealed_run_ = 0;
  last_kind_ = Frame::Silence;
  peak_ms_ = 0;
  stats_->target_ms = settings_.min_ms;
}

void JitterBuffer::resync() {
  ++stats_->resyncs;
  reset();
}

bool JitterBuffer::idle() const {
  return !started_ || (held_ == 0 && staged_pos_ >= staged_len_ && last_kind_ == Frame::Silence);
}

void JitterBuffer::start(uint16_t seq, uint32_t ssrc, uint32_t ts, uint64_t arrival_ms) {
  started_ = true;
  ssrc_ = ssrc;
  next_seq_ = highest_seq_ = seq;
  // The first packet plays after the target delay; its transit is the first base.
  playout_ts_ = int64_t(ts) - units(stats_->target_ms);
  base_transit_ = window_min_ = prior_window_min_ = units(int64_t(arrival_ms)) - int64_t(ts);
  window_start_ms_ = last_arrival_ms_ = arrival_ms;
}

void JitterBuffer::learn(int64_t transit, uint64_t arrival_ms) {
  if (arrival_ms - window_start_ms_ >= kWindowMs) {
    prior_window_min_ = window_min_;
    window_min_ = transit;
    window_start_ms_ = arrival_ms;
  } else {
    window_min_ = std::min(window_min_, transit);
  }
  base_transit_ = std::min(window_min_, prior_window_min_);
  const double jitter_ms = double(ms(transit - base_transit_));
  const double elapsed_s = double(arrival_ms - last_arrival_ms_) / 1000.0;
  last_arrival_ms_ = arrival_ms;
  peak_ms_ = std::max(jitter_ms, peak_ms_ - kDecayMsPerSecond * elapsed_s);
  stats_->target_ms = std::clamp(int(peak_ms_) + kHeadroomMs, settings_.min_ms, settings_.max_ms);
}

void JitterBuffer::put(const RtpPacket& packet, uint64_t arrival_ms) {
  put(packet.ssrc(), packet.seq(), packet.timestamp(), packet.marker(), packet.payload(), arrival_ms);
}

void JitterBuffer::put(uint32_t ssrc, uint16_t seq, uint32_t ts, bool marker,
                       std::span<const uint8_t> payload, uint64_t arrival_ms) {
  if (payload.empty() || payload.size() > kSlotBytes) {
    ++stats_->discarded;
    return;
  }
  if (started_) {
    const int64_t ahead = unwrap(ts) - playout_ts_;
    const int64_t limit = units(settings_.resync_ms);
    if (ssrc != ssrc_ || ahead > limit || ahead < -limit) resync();
  }
  if (!started_) start(seq, ssrc, ts, arrival_ms);
  const int64_t ts64 = unwrap(ts);
  const int64_t transit = units(int64_t(arrival_ms)) - ts64;

  int ahead = int16_t(uint16_t(seq - next_seq_));
  Slot& s = slot(seq);
  if (s.seen && s.seq == seq) {
    ++stats_->duplicates;
    return;
  }
  // Before anything played, an earlier packet that overtook nobody yet is still on time.
  if (ahead < 0 && !played_any_ && ahead > -int(kSlots) / 2 && ts64 >= playout_ts_) {
    next_seq_ = seq;
    ahead = 0;
  }
  learn(transit, arrival_ms);
  // A talk spurt after silence: the delay is set to the target at once, in the silence.
  if (marker && ahead >= 0 && held_ == 0 && last_kind_ == Frame::Silence && played_any_) {
    playout_ts_ = std::min(ts64, units(int64_t(arrival_ms)) - base_transit_ - units(stats_->target_ms));
    next_seq_ = seq;
    ahead = 0;
  }
  if (ahead < 0 || ts64 < playout_ts_ - frame_units_ / 2) {
    ++stats_->late;
    return;
  }
  if (ahead >= int(kSlots)) {
    // Further ahead than the ring holds: the playout point is hopelessly behind the stream.
    resync();
    start(seq, ssrc, ts, arrival_ms);
    return put(ssrc, seq, ts, marker, payload, arrival_ms);
  }
  if (int16_t(uint16_t(seq - highest_seq_)) < 0)
    ++stats_->reordered;
  else
    highest_seq_ = seq;

  s = Slot{true, marker, seq, uint16_t(payload.size()), ts64, true};
  std::memcpy(bytes(seq).data(), payload.data(), payload.size());
  ++held_;
  ++stats_->packets;
}

int JitterBuffer::first_buffered() const {
  if (held_ == 0) return -1;
  for (size_t k = 0; k < kSlots; ++k) {
    const Slot& s = slot(uint16_t(next_seq_ + k));
    if (s.used && s.seq == uint16_t(next_seq_ + k)) return int(k);
  }
  return -1;
}

size_t JitterBuffer::conceal(std::span<int16_t> out, std::span<const uint8_t> next) {
  size_t n = played_any_ ? decoder_.conceal(next, out) : 0;
  if (n < out.size()) std::fill(out.begin() + long(n), out.end(), int16_t(0));
  ++stats_->concealed;
  return out.size();
}

bool JitterBuffer::quiet(std::span<const int16_t> pcm) const {
  if (pcm.empty()) return true;
  int64_t sum = 0;
  for (int16_t s : pcm) sum += s < 0 ? -int(s) : s;
  return sum / int64_t(pcm.size()) < kQuietLevel;
}

JitterBuffer::Frame JitterBuffer::get(uint64_t playout_ms, std::span<int16_t> out) {
  out = out.first(frame_samples_);
  ++stats_->frames;
  if (!started_) {
    std::fill(out.begin(), out.end(), int16_t(0));
    return Frame::Silence;
  }
  // The delay now: how far the playout point trails the clock, beyond the fastest transit.
  int64_t delay = units(int64_t(playout_ms)) - playout_ts_ - base_transit_;
  stats_->delay_ms = ms(delay);
  const int64_t target = units(stats_->target_ms);
  bool grow = delay + frame_units_ / 2 < target;
  bool shrink = delay > target + frame_units_;
  const bool force_shrink = delay > target + units(kForceShrinkMs);

  Frame kind = Frame::Silence;
  size_t filled = 0;
  auto advance = [&](size_t samples) {
    filled += samples;
    playout_ts_ += units_of_samples(samples);
  };
  while (filled < out.size()) {
    auto rest = out.subspan(filled);
    if (staged_pos_ < staged_len_) {
      size_t n = std::min(rest.size(), staged_len_ - staged_pos_);
      std::copy_n(staged_.begin() + long(staged_pos_), n, rest.begin());
      staged_pos_ += n;
      advance(n);
      kind = Frame::Audio;
      continue;
    }
    const int k = first_buffered();
    Slot* p = k >= 0 ? &slot(uint16_t(next_seq_ + k)) : nullptr;
    if (p && p->ts <= playout_ts_ + frame_units_ / 2) {
      // Due. Lengthening the delay in the middle of speech: conceal one frame before it.
      if (grow && filled == 0 && last_kind_ != Frame::Silence) {
        conceal(rest, {});
        ++stats_->grown;
        filled = out.size();  // the playout point stays: the delay grows by a frame
        kind = Frame::Concealed;
        break;
      }
      stats_->lost += uint64_t(k);
      const uint16_t seq = p->seq;
      size_t n = decoder_.decode(bytes(seq).first(p->len), staged_);
      p->used = false;
      --held_;
      next_seq_ = uint16_t(seq + 1);
      playout_ts_ = p->ts;  // small slips of the sender's timeline are absorbed here
      played_any_ = true;
      concealed_run_ = 0;
      if (n == 0) continue;  // undecodable: as if lost
      last_dur_ = units_of_samples(n);
      if (filled == 0 && n <= rest.size() && first_buffered() >= 0 &&
          ((shrink && quiet(std::span<const int16_t>(staged_).first(n))) || force_shrink)) {
        // Shortening the delay: this frame is skipped (silent, or the delay ran far over).
        ++stats_->shrunk;
        playout_ts_ += last_dur_;
        delay -= last_dur_;
        shrink = false;
        continue;
      }
      staged_len_ = n;
      staged_pos_ = 0;
      continue;
    }
    if (p && k > 0 && playout_ts_ + frame_units_ / 2 >= p->ts - int64_t(k) * std::max(last_dur_, frame_units_)) {
      // Packets before p are missing and their time has come: conceal them, recovering the
      // last one from p's FEC data where the codec has it.
      const bool just_before = playout_ts_ + int64_t(rest.size()) * clock_rate_ / pcm_rate_ >= p->ts;
      auto next = just_before ? bytes(p->seq).first(p->len) : std::span<uint8_t>{};
      advance(conceal(rest, next));
      concealed_run_ += frame_units_;
      kind = std::max(kind, Frame::Concealed);
      continue;
    }
    if (!p && last_kind_ != Frame::Silence && concealed_run_ < units(kMaxConcealMs) && played_any_) {
      // Nothing here yet, in the middle of speech: the next packet is late or lost.
      advance(conceal(rest, {}));
      concealed_run_ += frame_units_;
      kind = std::max(kind, Frame::Concealed);
      continue;
    }
    // Silence: the sender paused (DTX, between talk spurts) or has not started.
    std::fill(rest.begin(), rest.end(), int16_t(0));
    if (grow && filled == 0) {
      ++stats_->grown;  // free in silence: the playout point stays
      filled = out.size();
      break;
    }
    advance(rest.size());
    if (shrink && (!p || p->ts - playout_ts_ >= frame_units_)) {
      ++stats_->shrunk;
      playout_ts_ += frame_units_;
      shrink = false;
    }
  }
  last_kind_ = kind;
  return kind;
}

}  // namespace zvon
