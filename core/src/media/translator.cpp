#include "translator.h"

#include <algorithm>

#include "zvon/g711.h"

namespace zvon {
namespace {

// 120 ms at 48 kHz: the longest packet Opus has.
constexpr size_t kMaxDecoded = 5760;
// Re-anchor the timestamp mapping this far from its base, long before int32 wraps.
constexpr int64_t kRebaseAfter = int64_t(1) << 30;

}  // namespace

std::unique_ptr<Translator> Translator::make(const Codec& from, const Codec& to, std::string_view to_fmtp,
                                             int frame_ms, std::string* why, const JitterBufferSettings* jitter) {
  TranslationPath path = find_translation_path(from, to);
  auto t = std::make_unique<Translator>(from, to, path);
  if (path.kind != TranslationPath::Kind::Transcode) return t;
  t->decoder_ = from.make_decoder(CodecSettings{path.decode_rate, {}});
  if (!t->decoder_) {
    if (why) *why = std::string(from.name()) + " cannot decode at " + std::to_string(path.decode_rate) + " Hz";
    return nullptr;
  }
  t->encoder_ = FrameEncoder::make(to, path.decode_rate, path.encode_rate, to_fmtp, frame_ms);
  if (!t->encoder_) {
    if (why)
      *why = std::string(to.name()) + " cannot encode " + std::to_string(frame_ms) + " ms frames at " +
             std::to_string(path.encode_rate) + " Hz";
    return nullptr;
  }
  t->pcm_.resize(kMaxDecoded);
  if (jitter && jitter->enabled)
    t->jb_ = std::make_unique<JitterBuffer>(*jitter, *t->decoder_, from.clock_rate(), path.decode_rate);
  return t;
}

Translator::Translator(const Codec& from, const Codec& to, TranslationPath path)
    : path_(path), from_clock_(from.clock_rate()), to_clock_(to.clock_rate()),
      from_ulaw_(from.name() == "PCMU") {}

void Translator::restart() {
  seq_started_ = timing_started_ = false;
  last_samples_ = 0;
  if (encoder_) encoder_->reset();
  if (jb_) jb_->reset();
}

JitterBuffer::Frame Translator::play(uint64_t playout_ms, PayloadSink& sink) {
  auto kind = jb_->get(playout_ms, pcm_);
  if (kind != JitterBuffer::Frame::Silence)
    encoder_->push(std::span<const int16_t>(pcm_).first(jb_->frame_samples()), played_ts_, sink);
  // Silence sends nothing (as DTX would), but time goes on: the next talk spurt's
  // timestamps show the pause.
  played_ts_ += uint32_t(to_clock_ / 50);
  return kind;
}

uint32_t Translator::map_timestamp(uint32_t in_ts) {
  if (!timing_started_) {
    timing_started_ = true;
    in_base_ = in_ts;
    out_base_ = 0;
  }
  return out_timestamp(in_ts);
}

uint32_t Translator::out_timestamp(uint32_t in_ts) {
  int64_t d = int32_t(in_ts - in_base_);
  uint32_t out = out_base_ + uint32_t(d * to_clock_ / from_clock_);
  if (d > kRebaseAfter || d < -kRebaseAfter) {
    in_base_ = in_ts;
    out_base_ = out;
  }
  return out;
}

void Translator::emit_pcm(std::span<const int16_t> pcm, uint32_t in_ts, PayloadSink& sink) {
  encoder_->push(pcm, out_timestamp(in_ts), sink);
}

void Translator::translate(const RtpPacket& packet, PayloadSink& sink) {
  const uint16_t seq = packet.seq();
  const uint32_t ts = packet.timestamp();
  auto payload = packet.payload();
  int lost = 0;
  if (!timing_started_) map_timestamp(ts);
  if (!seq_started_) {
    seq_started_ = true;
  } else {
    int16_t ahead = int16_t(seq - next_seq_);
    if (ahead < 0) {
      ++stats_.late;
      return;
    }
    lost = ahead;
  }
  next_seq_ = uint16_t(seq + 1);
  ++stats_.packets;

  if (path_.kind == TranslationPath::Kind::ByteMap) {
    size_t n = std::min(payload.size(), mapped_.size());
    for (size_t i = 0; i < n; ++i)
      mapped_[i] = from_ulaw_ ? g711::ulaw_to_alaw(payload[i]) : g711::alaw_to_ulaw(payload[i]);
    sink.on_payload(std::span<const uint8_t>(mapped_).first(n), out_timestamp(ts));
    return;
  }

  // Fill in what was lost, oldest first; the packet just before this one may be recovered
  // from this one's FEC data. A longer gap is a new talk spurt or a broken stream: no guess.
  if (lost > 0 && lost <= kMaxConcealed && last_samples_ > 0) {
    const uint32_t step = uint32_t(uint64_t(last_samples_) * uint64_t(from_clock_) / uint64_t(path_.decode_rate));
    for (int i = lost; i >= 1; --i) {
      auto out = std::span<int16_t>(pcm_).first(last_samples_);
      size_t n = decoder_->conceal(i == 1 ? std::span<const uint8_t>(payload) : std::span<const uint8_t>{}, out);
      if (n == 0) break;
      ++stats_.concealed;
      emit_pcm(out.first(n), ts - uint32_t(i) * step, sink);
    }
  }
  size_t n = decoder_->decode(payload, pcm_);
  if (n == 0) return;
  last_samples_ = n;
  emit_pcm(std::span<const int16_t>(pcm_).first(n), ts, sink);
}

}  // namespace zvon
