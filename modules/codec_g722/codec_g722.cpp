// codec_g722: ITU G.722 at 64 kbit/s through SpanDSP, static payload type 9.
// The audio is 16 kHz but the RTP clock is 8000 (RFC 3551 kept an error of the first
// implementations), so a 20 ms packet of 160 bytes advances the timestamp by 160.
// SpanDSP can also take and give 8 kHz PCM (it drops the upper band), which is what a bridge
// to a G.711 leg wants: the translation path then needs no resampler at all.
//
// Packet-loss concealment: G.722 has none in SpanDSP, so the decoded PCM goes through
// SpanDSP's G.711 Appendix I style PLC (pitch-period repetition, faded out, and an overlap-add
// into the first good packet after the gap). That code is written for 8 kHz; at 16 kHz its
// pitch search covers 133-400 Hz instead of 66-200 Hz and the fade is twice as fast (silent
// after 25 ms instead of 50), which still fills a lost packet with the voice's sound rather
// than a click. The sub-band ADPCM decoder never saw the lost bits: after a short gap it
// re-converges by itself within a few milliseconds (and the overlap-add hides that), after a
// long one its predictor is so far from the encoder's that it starts over from reset.
#include <stdint.h>  // SpanDSP's headers use the C integer types without including them
#include <spandsp/telephony.h>
#include <spandsp/g722.h>

#include <array>

#include "zvon/core.h"
#include "zvon/pitch_concealer.h"

namespace zvon {
namespace {

constexpr int kBitRate = 64000;
constexpr std::array<int, 2> kPcmRates{16000, 8000};

int options_for(int pcm_rate) { return pcm_rate == 8000 ? G722_SAMPLE_RATE_8000 : 0; }

// SpanDSP's states, owned: freed with the encoder / decoder.
struct EncodeStateFree {
  void operator()(g722_encode_state_t* s) const { g722_encode_free(s); }
};
struct DecodeStateFree {
  void operator()(g722_decode_state_t* s) const { g722_decode_free(s); }
};
// Concealed audio beyond this many ms means the decoder restarts at the next packet.
constexpr int kResetAfterMs = 60;

class G722Encoder final : public CodecEncoder {
 public:
  using State = std::unique_ptr<g722_encode_state_t, EncodeStateFree>;
  G722Encoder(State s, int pcm_rate) : s_(std::move(s)), pcm_rate_(pcm_rate) {}
  size_t encode(std::span<const int16_t> pcm, std::span<uint8_t> out) override {
    // Each output byte covers two 16 kHz samples (one at 8 kHz).
    size_t bytes = pcm_rate_ == 8000 ? pcm.size() : pcm.size() / 2;
    if (bytes > out.size()) return 0;
    int n = g722_encode(s_.get(), out.data(), pcm.data(), int(pcm.size()));
    return n > 0 ? size_t(n) : 0;
  }

 private:
  State s_;
  int pcm_rate_;
};

class G722Decoder final : public CodecDecoder {
 public:
  using State = std::unique_ptr<g722_decode_state_t, DecodeStateFree>;
  G722Decoder(State s, int pcm_rate) : s_(std::move(s)), pcm_rate_(pcm_rate) {}
  bool valid() const { return plc_.valid(); }
  size_t decode(std::span<const uint8_t> payload, std::span<int16_t> out) override {
    if (concealed_samples_ > size_t(pcm_rate_ * kResetAfterMs / 1000))
      g722_decode_init(s_.get(), kBitRate, options_for(pcm_rate_));  // in place: no allocation
    concealed_samples_ = 0;
    size_t samples = pcm_rate_ == 8000 ? payload.size() : payload.size() * 2;
    if (samples > out.size()) payload = payload.first(pcm_rate_ == 8000 ? out.size() : out.size() / 2);
    int n = g722_decode(s_.get(), out.data(), payload.data(), int(payload.size()));
    if (n <= 0) return 0;
    plc_.heard(out.first(size_t(n)));
    return size_t(n);
  }
  size_t conceal(std::span<const uint8_t>, std::span<int16_t> out) override {
    size_t n = plc_.conceal(out);
    concealed_samples_ += n;
    return n;
  }

 private:
  State s_;
  PitchConcealer plc_;
  int pcm_rate_;
  size_t concealed_samples_ = 0;
};

class G722Codec final : public Codec {
 public:
  std::string_view name() const override { return "G722"; }
  int static_payload_type() const override { return 9; }
  int clock_rate() const override { return 8000; }
  std::span<const int> pcm_rates() const override { return kPcmRates; }
  std::unique_ptr<CodecEncoder> make_encoder(const CodecSettings& settings) const override {
    int rate = pcm_rate(settings);
    if (!has_pcm_rate(rate)) return nullptr;
    G722Encoder::State s(g722_encode_init(nullptr, kBitRate, options_for(rate)));
    if (!s) return nullptr;
    return std::make_unique<G722Encoder>(std::move(s), rate);
  }
  std::unique_ptr<CodecDecoder> make_decoder(const CodecSettings& settings) const override {
    int rate = pcm_rate(settings);
    if (!has_pcm_rate(rate)) return nullptr;
    G722Decoder::State s(g722_decode_init(nullptr, kBitRate, options_for(rate)));
    if (!s) return nullptr;
    auto decoder = std::make_unique<G722Decoder>(std::move(s), rate);
    if (!decoder->valid()) return nullptr;
    return decoder;
  }
};

class CodecG722Module final : public Module {
 public:
  G722Codec g722;
  Registration registration;  // after the codec: unregistered before it goes
};

Result<std::unique_ptr<Module>> load(ModuleContext& ctx) {
  auto m = std::make_unique<CodecG722Module>();
  auto r = ctx.add_codec(m->g722);
  if (!r) return r.error();
  m->registration = std::move(*r);
  return std::unique_ptr<Module>(std::move(m));
}

}  // namespace
}  // namespace zvon

ZVON_MODULE("codec_g722", "G.722 wideband codec (SpanDSP), 64 kbit/s", "", zvon::load)
