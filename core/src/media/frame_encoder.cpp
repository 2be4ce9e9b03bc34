#include "frame_encoder.h"

#include <algorithm>
#include <cstdlib>

namespace zvon {

std::unique_ptr<FrameEncoder> FrameEncoder::make(const Codec& codec, int in_rate, int encode_rate,
                                                 std::string_view remote_fmtp, int frame_ms) {
  if (!codec.supports_frame_ms(frame_ms) || !codec.has_pcm_rate(encode_rate))
    return nullptr;
  auto encoder = codec.make_encoder(CodecSettings{encode_rate, remote_fmtp});
  if (!encoder) return nullptr;
  return std::make_unique<FrameEncoder>(codec, std::move(encoder), in_rate, encode_rate, frame_ms);
}

FrameEncoder::FrameEncoder(const Codec& codec, std::unique_ptr<CodecEncoder> encoder, int in_rate,
                           int encode_rate, int frame_ms)
    : encoder_(std::move(encoder)),
      clock_rate_(codec.clock_rate()),
      encode_rate_(encode_rate),
      frame_(size_t(encode_rate) * size_t(frame_ms) / 1000) {
  if (in_rate != encode_rate) {
    resampler_.emplace(in_rate, encode_rate);
    resampled_.resize(resampler_->max_output(StreamResampler::kMaxInput));
  }
}

void FrameEncoder::reset() {
  filled_ = 0;
  if (resampler_) resampler_->reset();
}

void FrameEncoder::push(std::span<const int16_t> pcm, uint32_t timestamp, PayloadSink& sink) {
  if (!resampler_) return gather(pcm, timestamp, sink);
  while (!pcm.empty()) {
    auto chunk = pcm.first(std::min(pcm.size(), StreamResampler::kMaxInput));
    size_t n = resampler_->process(chunk, resampled_);
    gather(std::span<const int16_t>(resampled_).first(n), timestamp, sink);
    timestamp += uint32_t(uint64_t(chunk.size()) * uint64_t(clock_rate_) / uint64_t(resampler_->in_rate()));
    pcm = pcm.subspan(chunk.size());
  }
}

void FrameEncoder::gather(std::span<const int16_t> pcm, uint32_t timestamp, PayloadSink& sink) {
  const auto to_clock = [this](size_t samples) {
    return uint32_t(uint64_t(samples) * uint64_t(clock_rate_) / uint64_t(encode_rate_));
  };
  if (filled_ > 0) {
    // Resampling shifts chunk edges by a sample or so; anything more is a real gap.
    int32_t drift = int32_t(timestamp - (frame_ts_ + to_clock(filled_)));
    if (std::abs(drift) > int32_t(to_clock(4))) filled_ = 0;
  }
  while (!pcm.empty()) {
    if (filled_ == 0) frame_ts_ = timestamp;
    size_t n = std::min(pcm.size(), frame_.size() - filled_);
    std::copy_n(pcm.begin(), n, frame_.begin() + long(filled_));
    filled_ += n;
    pcm = pcm.subspan(n);
    timestamp += to_clock(n);
    if (filled_ < frame_.size()) break;
    size_t bytes = encoder_->encode(frame_, payload_);
    if (bytes > 0) sink.on_payload(std::span<const uint8_t>(payload_).first(bytes), frame_ts_);
    filled_ = 0;
  }
}

}  // namespace zvon
