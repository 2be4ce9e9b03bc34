// Audio codecs. A codec module registers Codec objects; encoders and decoders are made per
// stream and used on that stream's loop.
#pragma once
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string_view>

namespace zvon {

class CodecEncoder {
 public:
  virtual ~CodecEncoder() = default;
  // Encodes PCM samples at the codec's clock rate; returns the bytes written to `out`.
  virtual size_t encode(std::span<const int16_t> pcm, std::span<uint8_t> out) = 0;
};

class CodecDecoder {
 public:
  virtual ~CodecDecoder() = default;
  // Decodes one payload; returns the samples written to `out`.
  virtual size_t decode(std::span<const uint8_t> payload, std::span<int16_t> out) = 0;
};

class Codec {
 public:
  virtual ~Codec() = default;
  // The SDP encoding name: "PCMU", "PCMA".
  virtual std::string_view name() const = 0;
  // The static RTP payload type, or -1 for a dynamic one.
  virtual int static_payload_type() const = 0;
  virtual int clock_rate() const = 0;
  virtual std::unique_ptr<CodecEncoder> make_encoder() const = 0;
  virtual std::unique_ptr<CodecDecoder> make_decoder() const = 0;
};

}  // namespace zvon
