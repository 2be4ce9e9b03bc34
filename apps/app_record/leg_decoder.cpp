#include "leg_decoder.h"

#include <algorithm>
#include <array>

#include "zvon/rtp.h"

namespace zvon::record {
namespace {

// The longest packet a codec decodes: 120 ms at 48 kHz (Opus).
constexpr size_t kMaxPacketSamples = 5760;

}  // namespace

LegDecoder::LegDecoder(int rate, bool buffered, int max_queued_ms)
    : rate_(rate), buffered_(buffered), pcm_(kMaxPacketSamples), queue_(frame_samples() * size_t(std::max(max_queued_ms / kFrameMs, 2))) {}

bool LegDecoder::use_codec(const MediaEndpoint& endpoint) {
  const Codec* codec = endpoint.codec();
  if (!codec) return false;
  if (codec == codec_.get() && decoder_) return true;
  jitter_.reset();
  decoder_.reset();
  codec_ = endpoint.pinned_codec();
  if (codec_.get() != codec) return false;
  // The recording's rate when the codec decodes to it (it was picked from the codec's rates),
  // else the codec's best, interpolated to the recording's rate.
  decode_rate_ = codec->has_pcm_rate(rate_) ? rate_ : codec->pcm_rates().front();
  CodecSettings settings;
  settings.pcm_rate = decode_rate_;
  decoder_ = codec->make_decoder(settings);
  started_ = false;
  resample_pos_ = 0;
  if (!decoder_) return false;
  if (auto* rtp = dynamic_cast<const RtpSession*>(&endpoint); rtp && buffered_) {
    const JitterBufferSettings jb = rtp->jitter_buffer();
    if (jb.enabled) jitter_ = std::make_unique<JitterBuffer>(jb, *decoder_, codec->clock_rate(), decode_rate_);
  }
  return true;
}

void LegDecoder::play(uint64_t playout_ms) {
  if (!jitter_) return;
  std::span<int16_t> frame(pcm_.data(), jitter_->frame_samples());
  jitter_->get(playout_ms, frame);
  emit(frame);
}

void LegDecoder::push(const MediaEndpoint& endpoint, const RtpPacket& packet, uint64_t now_ms) {
  if (packet.payload_type() != endpoint.audio_payload_type() || !use_codec(endpoint)) return;
  const auto payload = packet.payload();
  if (payload.empty()) return;
  if (jitter_) {
    jitter_->put(packet, now_ms);
    return;
  }
  if (!started_ || packet.ssrc() != ssrc_) {
    started_ = true;
    ssrc_ = packet.ssrc();
  } else {
    const int16_t ahead = int16_t(packet.seq() - next_seq_);
    if (ahead < 0) return;  // late: its place in the recording is already taken
    const int lost = std::min<int>(ahead, kMaxConcealed);
    for (int i = 0; i < lost && last_samples_ > 0; ++i) {
      std::span<int16_t> out(pcm_.data(), last_samples_);
      size_t n = decoder_->conceal(i == lost - 1 ? payload : std::span<const uint8_t>{}, out);
      if (n == 0) std::fill(out.begin(), out.end(), int16_t(0));
      emit(out.first(n ? n : last_samples_));
    }
  }
  next_seq_ = uint16_t(packet.seq() + 1);
  const size_t n = decoder_->decode(payload, pcm_);
  if (n == 0) return;
  last_samples_ = n;
  emit(std::span<const int16_t>(pcm_.data(), n));
}

void LegDecoder::emit(std::span<const int16_t> pcm) {
  if (decode_rate_ == rate_) {
    enqueue(pcm);
    return;
  }
  // Linear interpolation: only after a re-INVITE to a codec without the recording's rate.
  const double step = double(decode_rate_) / rate_;
  std::array<int16_t, 960> out;
  size_t n = 0;
  for (int16_t s : pcm) {
    while (resample_pos_ < 1.0) {
      out[n++] = int16_t(resample_last_ + (s - resample_last_) * resample_pos_);
      if (n == out.size()) {
        enqueue(out);
        n = 0;
      }
      resample_pos_ += step;
    }
    resample_pos_ -= 1.0;
    resample_last_ = s;
  }
  enqueue(std::span<const int16_t>(out.data(), n));
}

void LegDecoder::enqueue(std::span<const int16_t> pcm) {
  const size_t cap = queue_.size();
  if (pcm.size() > cap) pcm = pcm.last(cap);
  if (pcm.size() > cap - queued_)  // full: the oldest frames go
    drop((pcm.size() - (cap - queued_) + frame_samples() - 1) / frame_samples());
  size_t tail = head_ + queued_;
  if (tail >= cap) tail -= cap;
  const size_t first = std::min(pcm.size(), cap - tail);
  std::copy_n(pcm.begin(), first, queue_.begin() + long(tail));
  std::copy(pcm.begin() + long(first), pcm.end(), queue_.begin());
  queued_ += pcm.size();
}

bool LegDecoder::pop(std::span<int16_t> frame) {
  const size_t n = frame_samples();
  if (queued_ < n || frame.size() < n) return false;
  const size_t first = std::min(n, queue_.size() - head_);
  std::copy_n(queue_.begin() + long(head_), first, frame.begin());
  std::copy_n(queue_.begin(), n - first, frame.begin() + long(first));
  advance(n);
  return true;
}

void LegDecoder::drop(size_t frames) { advance(std::min(queued_, frames * frame_samples())); }

void LegDecoder::advance(size_t samples) {
  head_ += samples;
  if (head_ >= queue_.size()) head_ -= queue_.size();
  queued_ -= samples;
}

}  // namespace zvon::record
