// codec_g711: G.711 μ-law (PCMU, static payload type 0) and A-law (PCMA, 8), 8 kHz. The
// lookup tables live in the core (zvon/g711.h), where the RTP relay transcodes with them too.
// Encoders keep no state; a decoder keeps SpanDSP's packet-loss concealment state for its
// own stream.
#include "zvon/core.h"
#include "zvon/g711.h"
#include "zvon/pitch_concealer.h"

namespace zvon {
namespace {

enum class Law { Mu, A };
constexpr int kPcmRates[] = {8000};

class G711Encoder final : public CodecEncoder {
 public:
  explicit G711Encoder(Law law) : law_(law) {}
  size_t encode(std::span<const int16_t> pcm, std::span<uint8_t> out) override {
    return law_ == Law::Mu ? g711::encode_ulaw(pcm, out) : g711::encode_alaw(pcm, out);
  }

 private:
  Law law_;
};

// Decoding keeps the concealment state up to date (the last pitch period heard), so a lost
// packet can be filled with that period repeated and faded, as G.711 Appendix I does.
class G711Decoder final : public CodecDecoder {
 public:
  explicit G711Decoder(Law law) : law_(law) {}
  bool valid() const { return plc_.valid(); }
  size_t decode(std::span<const uint8_t> payload, std::span<int16_t> out) override {
    size_t n = law_ == Law::Mu ? g711::decode_ulaw(payload, out) : g711::decode_alaw(payload, out);
    plc_.heard(out.first(n));
    return n;
  }
  size_t conceal(std::span<const uint8_t>, std::span<int16_t> out) override { return plc_.conceal(out); }

 private:
  Law law_;
  PitchConcealer plc_;
};

class G711Codec final : public Codec {
 public:
  explicit G711Codec(Law law) : law_(law) {}
  std::string_view name() const override { return law_ == Law::Mu ? "PCMU" : "PCMA"; }
  int static_payload_type() const override { return law_ == Law::Mu ? 0 : 8; }
  int clock_rate() const override { return 8000; }
  std::span<const int> pcm_rates() const override { return kPcmRates; }
  std::unique_ptr<CodecEncoder> make_encoder(const CodecSettings& settings) const override {
    if (pcm_rate(settings) != 8000) return nullptr;
    return std::make_unique<G711Encoder>(law_);
  }
  std::unique_ptr<CodecDecoder> make_decoder(const CodecSettings& settings) const override {
    if (pcm_rate(settings) != 8000) return nullptr;
    auto decoder = std::make_unique<G711Decoder>(law_);
    if (!decoder->valid()) return nullptr;
    return decoder;
  }

 private:
  Law law_;
};

class CodecG711Module final : public Module {
 public:
  G711Codec ulaw{Law::Mu};
  G711Codec alaw{Law::A};
  Registration ulaw_registration;  // after the codecs: unregistered before they go
  Registration alaw_registration;
};

Result<std::unique_ptr<Module>> load(ModuleContext& ctx) {
  auto m = std::make_unique<CodecG711Module>();
  auto u = ctx.add_codec(m->ulaw);
  if (!u) return u.error();
  m->ulaw_registration = std::move(*u);
  auto a = ctx.add_codec(m->alaw);
  if (!a) return a.error();
  m->alaw_registration = std::move(*a);
  return std::unique_ptr<Module>(std::move(m));
}

}  // namespace
}  // namespace zvon

ZVON_MODULE("codec_g711", "G.711 u-law (PCMU) and A-law (PCMA) codecs, with packet-loss concealment", "", zvon::load)
