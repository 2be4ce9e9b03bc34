#include "decoded_stream.h"

namespace zvon {
namespace {
constexpr size_t kMaxDecoded = 5760;  // 120 ms at 48 kHz: the longest Opus packet
}

std::unique_ptr<DecodedStream> DecodedStream::make(Loop& loop, const Codec& codec, int pcm_rate,
                                                   const JitterBufferSettings& settings, FrameHandler on_frame) {
  if (!codec.has_pcm_rate(pcm_rate)) return nullptr;
  auto decoder = codec.make_decoder(CodecSettings{pcm_rate, {}});
  if (!decoder) return nullptr;
  return std::make_unique<DecodedStream>(loop, std::move(decoder), codec.clock_rate(), pcm_rate, settings,
                                         std::move(on_frame));
}

DecodedStream::DecodedStream(Loop& loop, std::unique_ptr<CodecDecoder> decoder, int clock_rate, int pcm_rate,
                             const JitterBufferSettings& settings, FrameHandler on_frame)
    : loop_(loop),
      decoder_(std::move(decoder)),
      on_frame_(std::move(on_frame)),
      pcm_(kMaxDecoded),
      frame_samples_(size_t(pcm_rate / 50)) {
  if (!settings.enabled) return;
  jb_ = std::make_unique<JitterBuffer>(settings, *decoder_, clock_rate, pcm_rate);
  clock_ = std::make_unique<PlayoutClock>(loop_, [this](uint64_t ms) { return tick(ms); });
}

bool DecodedStream::tick(uint64_t playout_ms) {
  auto kind = jb_->get(playout_ms, pcm_);
  on_frame_(std::span<const int16_t>(pcm_).first(frame_samples_), kind);
  return !jb_->idle();
}

void DecodedStream::put(const RtpPacket& packet) {
  if (jb_) {
    jb_->put(packet, loop_.now_ms());
    clock_->kick();
    return;
  }
  size_t n = decoder_->decode(packet.payload(), pcm_);
  for (size_t at = 0; at < n; at += frame_samples_)
    on_frame_(std::span<const int16_t>(pcm_).subspan(at, std::min(frame_samples_, n - at)),
              JitterBuffer::Frame::Audio);
}

}  // namespace zvon
