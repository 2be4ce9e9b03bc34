// codec_opus: Opus (RFC 6716, RTP by RFC 7587) through libopus, mono, 20 ms frames.
// SDP says opus/48000/2 whatever is sent: the RTP clock is always 48 kHz. Encoders and
// decoders work at any of libopus's PCM rates (48/24/16/12/8 kHz), so a bridge to a G.711
// leg decodes straight to 8 kHz and needs no resampler.
// The far end's fmtp (useinbandfec, usedtx, maxplaybackrate, maxaveragebitrate) configures
// our encoder; we declare useinbandfec=1 for our decoder, which recovers a lost packet from
// the FEC data in the next one, and conceals it (libopus PLC) when there is none.
#include <opus.h>

#include <array>

#include "opus_fmtp.h"
#include "zvon/core.h"
#include "zvon/log.h"

namespace zvon {
namespace {

constexpr std::array<int, 5> kPcmRates{48000, 24000, 16000, 12000, 8000};
// With FEC on, the encoder spends bits for this much expected loss (libopus needs a
// non-zero figure to put any FEC data in at all).
constexpr int kExpectedLossPercent = 10;
// What we send unless the far end's maxaveragebitrate says otherwise: wideband speech with
// room for FEC.
constexpr int kDefaultBitrate = 24000;

int bandwidth_for(int max_playback_rate) {
  if (max_playback_rate <= 8000) return OPUS_BANDWIDTH_NARROWBAND;
  if (max_playback_rate <= 12000) return OPUS_BANDWIDTH_MEDIUMBAND;
  if (max_playback_rate <= 16000) return OPUS_BANDWIDTH_WIDEBAND;
  if (max_playback_rate <= 24000) return OPUS_BANDWIDTH_SUPERWIDEBAND;
  return OPUS_BANDWIDTH_FULLBAND;
}

struct EncoderFree {
  void operator()(OpusEncoder* e) const { opus_encoder_destroy(e); }
};
struct DecoderFree {
  void operator()(OpusDecoder* d) const { opus_decoder_destroy(d); }
};

class OpusStreamEncoder final : public CodecEncoder {
 public:
  OpusStreamEncoder(std::unique_ptr<OpusEncoder, EncoderFree> e, bool dtx) : e_(std::move(e)), dtx_(dtx) {}
  size_t encode(std::span<const int16_t> pcm, std::span<uint8_t> out) override {
    int n = opus_encode(e_.get(), pcm.data(), int(pcm.size()), out.data(), opus_int32(out.size()));
    // With DTX, a packet of 2 bytes or less is one that need not be sent (libopus's rule):
    // the far end asked for silence to cost nothing.
    if (dtx_ && n <= 2) return 0;
    return n > 0 ? size_t(n) : 0;
  }

 private:
  std::unique_ptr<OpusEncoder, EncoderFree> e_;
  bool dtx_;
};

class OpusStreamDecoder final : public CodecDecoder {
 public:
  explicit OpusStreamDecoder(std::unique_ptr<OpusDecoder, DecoderFree> d) : d_(std::move(d)) {}
  size_t decode(std::span<const uint8_t> payload, std::span<int16_t> out) override {
    if (payload.empty()) return 0;
    int n = opus_decode(d_.get(), payload.data(), opus_int32(payload.size()), out.data(),
                        int(out.size()), 0);
    return n > 0 ? size_t(n) : 0;
  }
  size_t conceal(std::span<const uint8_t> next, std::span<int16_t> out) override {
    // libopus wants the lost duration as the frame size; with `next` it decodes that
    // packet's FEC data (the previous frame at lower quality), else it extrapolates.
    int n = next.empty()
                ? opus_decode(d_.get(), nullptr, 0, out.data(), int(out.size()), 0)
                : opus_decode(d_.get(), next.data(), opus_int32(next.size()), out.data(),
                              int(out.size()), 1);
    return n > 0 ? size_t(n) : 0;
  }

 private:
  std::unique_ptr<OpusDecoder, DecoderFree> d_;
};

class OpusCodec final : public Codec {
 public:
  std::string_view name() const override { return "opus"; }
  int static_payload_type() const override { return -1; }
  int clock_rate() const override { return 48000; }
  int sdp_channels() const override { return 2; }
  std::span<const int> pcm_rates() const override { return kPcmRates; }
  std::string_view fmtp() const override { return "useinbandfec=1"; }
  bool supports_frame_ms(int ms) const override { return ms == 10 || ms == 20 || ms == 40 || ms == 60; }

  std::unique_ptr<CodecEncoder> make_encoder(const CodecSettings& settings) const override {
    int rate = pcm_rate(settings);
    if (!has_pcm_rate(rate)) return nullptr;
    int err = 0;
    std::unique_ptr<OpusEncoder, EncoderFree> owned(opus_encoder_create(rate, 1, OPUS_APPLICATION_VOIP, &err));
    OpusEncoder* raw = owned.get();
    if (!raw || err != OPUS_OK) {
      log(LogLevel::Warning, "codec_opus", "cannot create an encoder: ", opus_strerror(err));
      return nullptr;
    }
    auto remote = opus::parse_remote_fmtp(settings.remote_fmtp);
    auto encoder = std::make_unique<OpusStreamEncoder>(std::move(owned), remote.dtx);
    // Telephone calls carry speech: keep libopus in SILK (whose FEC the far end asked for)
    // rather than letting a tonal stretch switch it to CELT, which has none.
    opus_encoder_ctl(raw, OPUS_SET_SIGNAL(OPUS_SIGNAL_VOICE));
    opus_encoder_ctl(raw, OPUS_SET_INBAND_FEC(remote.inband_fec ? 1 : 0));
    if (remote.inband_fec) opus_encoder_ctl(raw, OPUS_SET_PACKET_LOSS_PERC(kExpectedLossPercent));
    opus_encoder_ctl(raw, OPUS_SET_DTX(remote.dtx ? 1 : 0));
    opus_encoder_ctl(raw, OPUS_SET_MAX_BANDWIDTH(bandwidth_for(remote.max_playback_rate)));
    // libopus's automatic bitrate for 8 kHz input (about 11 kbit/s) is below what SILK needs
    // to carry any FEC data; a fixed rate keeps FEC (and quality) whatever the input rate.
    opus_encoder_ctl(raw, OPUS_SET_BITRATE(remote.max_average_bitrate ? remote.max_average_bitrate
                                                                      : kDefaultBitrate));
    return encoder;
  }

  std::unique_ptr<CodecDecoder> make_decoder(const CodecSettings& settings) const override {
    int rate = pcm_rate(settings);
    if (!has_pcm_rate(rate)) return nullptr;
    int err = 0;
    std::unique_ptr<OpusDecoder, DecoderFree> owned(opus_decoder_create(rate, 1, &err));
    if (!owned || err != OPUS_OK) {
      log(LogLevel::Warning, "codec_opus", "cannot create a decoder: ", opus_strerror(err));
      return nullptr;
    }
    return std::make_unique<OpusStreamDecoder>(std::move(owned));
  }
};

class CodecOpusModule final : public Module {
 public:
  OpusCodec opus;
  Registration registration;  // after the codec: unregistered before it goes
};

Result<std::unique_ptr<Module>> load(ModuleContext& ctx) {
  auto m = std::make_unique<CodecOpusModule>();
  auto r = ctx.add_codec(m->opus);
  if (!r) return r.error();
  m->registration = std::move(*r);
  return std::unique_ptr<Module>(std::move(m));
}

}  // namespace
}  // namespace zvon

ZVON_MODULE("codec_opus", "Opus codec (libopus): 48 kHz RTP clock, in-band FEC, DTX, PLC", "", zvon::load)
