// The sending half of a transcoded stream: PCM in (from a decoder or a prompt), resampled
// when its rate is not the encoder's, gathered into frames of the negotiated packet time and
// encoded into RTP payloads with their timestamps in the codec's RTP clock. Buffers are
// allocated when it is made; push() does not allocate. One stream, one thread.
#pragma once
#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "stream_resampler.h"
#include "zvon/codec.h"

namespace zvon {

// Receives each payload as it is encoded; `payload` is valid during the call.
class PayloadSink {
 public:
  virtual ~PayloadSink() = default;
  virtual void on_payload(std::span<const uint8_t> payload, uint32_t timestamp) = 0;
};

class FrameEncoder {
 public:
  // Largest payload an encoder may write.
  static constexpr size_t kMaxPayload = 1400;

  // PCM at `in_rate` into `codec` encoded at `encode_rate` (one of its pcm_rates()), in
  // frames of `frame_ms` (one the codec supports_frame_ms()). Null when the
  // codec cannot make such an encoder.
  static std::unique_ptr<FrameEncoder> make(const Codec& codec, int in_rate, int encode_rate,
                                            std::string_view remote_fmtp, int frame_ms);

  // `pcm` at in_rate; `timestamp` is the RTP timestamp (codec clock) of its first sample.
  // A timestamp that does not follow on from the frame being gathered (a gap: DTX, a lost
  // stretch) drops the partial frame and starts a new one there.
  void push(std::span<const int16_t> pcm, uint32_t timestamp, PayloadSink& sink);
  // Forgets the partial frame and the resampler's history.
  void reset();

  int frame_samples() const { return int(frame_.size()); }

  // Use make(), which checks what this assumes.
  FrameEncoder(const Codec& codec, std::unique_ptr<CodecEncoder> encoder, int in_rate,
               int encode_rate, int frame_ms);

 private:
  void gather(std::span<const int16_t> pcm, uint32_t timestamp, PayloadSink& sink);

  std::unique_ptr<CodecEncoder> encoder_;
  int clock_rate_;
  int encode_rate_;
  std::optional<StreamResampler> resampler_;
  std::vector<int16_t> resampled_;
  std::vector<int16_t> frame_;  // frame_ms at encode_rate
  size_t filled_ = 0;
  uint32_t frame_ts_ = 0;       // RTP timestamp of frame_[0]
  std::array<uint8_t, kMaxPayload> payload_{};
};

}  // namespace zvon
