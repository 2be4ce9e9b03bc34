// Audio codecs. A codec module registers Codec objects; encoders and decoders are made per
// stream and used on that stream's loop.
//
// Two rates matter and they are not always the same: the RTP clock (what timestamps count and
// SDP's rtpmap names: 8000 for G.722 by RFC 3551's historical mistake, 48000 for Opus) and
// the PCM rate the encoder takes and the decoder gives (16 kHz for G.722; any of 8/12/16/24/48
// kHz for Opus). The core's translation paths pick PCM rates so that nothing is resampled when
// two codecs share one.
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
  // Encodes one frame of PCM at the encoder's PCM rate (a frame length the codec accepts:
  // 10/20/40/60 ms); returns the bytes written to `out`, 0 when there is nothing to send
  // (Opus DTX during silence) or it could not.
  virtual size_t encode(std::span<const int16_t> pcm, std::span<uint8_t> out) = 0;
};

class CodecDecoder {
 public:
  virtual ~CodecDecoder() = default;
  // Decodes one payload at the decoder's PCM rate; returns the samples written to `out`.
  virtual size_t decode(std::span<const uint8_t> payload, std::span<int16_t> out) = 0;
  // Packet-loss concealment: writes `out.size()` samples standing in for one lost packet.
  // `next` is the payload that arrived after the loss, or empty; a codec with in-band FEC
  // (Opus) recovers the lost audio from it. Returns the samples written; 0 means the codec
  // cannot conceal, and the caller leaves the gap.
  virtual size_t conceal(std::span<const uint8_t> next, std::span<int16_t> out) { return 0; }
};

// How one stream's encoder or decoder is made.
struct CodecSettings {
  // The PCM rate of encoder input / decoder output; one of Codec::pcm_rates(). 0: the first.
  int pcm_rate = 0;
  // For an encoder: the a=fmtp parameters the far end declared for this codec ("useinbandfec=1;
  // usedtx=1"): they say what its decoder wants. Empty when it gave none.
  std::string_view remote_fmtp;
};

class Codec {
 public:
  virtual ~Codec() = default;
  // The SDP encoding name: "PCMU", "PCMA", "G722", "opus".
  virtual std::string_view name() const = 0;
  // The static RTP payload type, or -1 for a dynamic one.
  virtual int static_payload_type() const = 0;
  // The RTP timestamp clock rate, as written in SDP's rtpmap.
  virtual int clock_rate() const = 0;
  // The channel count SDP's rtpmap names ("opus/48000/2"); 1 is left out of rtpmap.
  virtual int sdp_channels() const { return 1; }
  // The PCM rates encoders take and decoders give, the best first. Never empty.
  virtual std::span<const int> pcm_rates() const = 0;
  // Whether an encoder takes frames of `ms` milliseconds (the packet time); Opus has only
  // 10, 20, 40 and 60.
  virtual bool supports_frame_ms(int ms) const { return ms >= 10 && ms <= 60 && ms % 10 == 0; }
  // The a=fmtp parameters zvon declares for this codec in its offers and answers (what our
  // decoder wants); empty for none.
  virtual std::string_view fmtp() const { return {}; }
  // Null when the settings cannot be honoured (a PCM rate the codec does not have).
  virtual std::unique_ptr<CodecEncoder> make_encoder(const CodecSettings& settings) const = 0;
  virtual std::unique_ptr<CodecDecoder> make_decoder(const CodecSettings& settings) const = 0;

  // The PCM rate settings.pcm_rate stands for.
  int pcm_rate(const CodecSettings& settings) const {
    return settings.pcm_rate ? settings.pcm_rate : pcm_rates().front();
  }
  bool has_pcm_rate(int rate) const {
    for (int r : pcm_rates())
      if (r == rate) return true;
    return false;
  }
};

}  // namespace zvon
