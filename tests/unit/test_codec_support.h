// The real codec modules (codec_g711, codec_g722, codec_opus) loaded into a test core, and
// signal measures for the codec tests. Also an "L16" test codec that only knows 16 kHz, so the
// resampling translation path (which no shipped pair needs) is exercised.
#pragma once
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <span>
#include <string>
#include <vector>

#include "test_core.h"
#include "zvon/codec.h"

namespace zvon::test {

class CodecModules {
 public:
  CodecModules() {
    for (auto name : {"codec_g711", "codec_g722", "codec_opus"}) {
      auto loaded = core->modules().load(module_path(name));
      if (!loaded) FAIL(loaded.message());
    }
  }
  Pinned<Codec> codec(std::string_view name) {
    auto c = core->find_codec(name);
    REQUIRE(c);
    return c;
  }
  TestCore core;
};

// The SNR of `got` against `ref` at the delay (0..max_lag samples) where they line up best,
// over `ref` from `skip` on (past the codec's start-up).
inline double aligned_snr_db(std::span<const int16_t> ref, std::span<const int16_t> got, size_t max_lag,
                             size_t skip) {
  double best = -100;
  for (size_t lag = 0; lag <= max_lag; ++lag) {
    double signal = 0, noise = 0;
    for (size_t i = skip; i + lag < got.size() && i < ref.size(); ++i) {
      double e = double(ref[i]) - got[i + lag];
      signal += double(ref[i]) * ref[i];
      noise += e * e;
    }
    if (noise > 0 && signal > 0) best = std::max(best, 10 * std::log10(signal / noise));
  }
  return best;
}

// A speech-like test signal: two tones whose level swells and fades (a pure sine is too easy
// for some codecs and too hard for others).
inline std::vector<int16_t> voice_like(int rate, size_t n) {
  std::vector<int16_t> s(n);
  for (size_t i = 0; i < n; ++i) {
    double t = double(i) / rate;
    double envelope = 0.6 + 0.4 * std::sin(2 * M_PI * 3 * t);
    double v = 0.3 * std::sin(2 * M_PI * 440 * t) + 0.15 * std::sin(2 * M_PI * 1230 * t);
    s[i] = int16_t(std::lround(32767 * envelope * v));
  }
  return s;
}

// Linear 16-bit PCM at 16 kHz only: a codec with no rate in common with G.711.
class L16Wideband final : public Codec {
 public:
  std::string_view name() const override { return "L16"; }
  int static_payload_type() const override { return -1; }
  int clock_rate() const override { return 16000; }
  std::span<const int> pcm_rates() const override {
    static constexpr int rates[] = {16000};
    return rates;
  }
  std::unique_ptr<CodecEncoder> make_encoder(const CodecSettings& s) const override {
    if (pcm_rate(s) != 16000) return nullptr;
    struct E : CodecEncoder {
      size_t encode(std::span<const int16_t> in, std::span<uint8_t> out) override {
        if (out.size() < in.size() * 2) return 0;
        for (size_t i = 0; i < in.size(); ++i) {
          out[2 * i] = uint8_t(uint16_t(in[i]) >> 8);
          out[2 * i + 1] = uint8_t(in[i]);
        }
        return in.size() * 2;
      }
    };
    return std::make_unique<E>();
  }
  std::unique_ptr<CodecDecoder> make_decoder(const CodecSettings& s) const override {
    if (pcm_rate(s) != 16000) return nullptr;
    struct D : CodecDecoder {
      size_t decode(std::span<const uint8_t> in, std::span<int16_t> out) override {
        size_t n = std::min(in.size() / 2, out.size());
        for (size_t i = 0; i < n; ++i) out[i] = int16_t(uint16_t(in[2 * i] << 8 | in[2 * i + 1]));
        return n;
      }
    };
    return std::make_unique<D>();
  }
};

}  // namespace zvon::test
