// In-band DTMF detection (SpanDSP) on generated tones, through G.711 as the network sends them.
#include <catch2/catch.hpp>

#include <cmath>
#include <string>
#include <vector>

#include "media/inband_dtmf.h"
#include "zvon/g711.h"

using namespace zvon;

namespace {

constexpr double kPi = 3.14159265358979323846;

// 8 kHz samples of `key` for `tone_ms`, then `gap_ms` of silence. Each frequency at
// `amplitude` (of full scale).
void append_key(std::vector<int16_t>& out, char key, int tone_ms, int gap_ms, double amplitude = 0.25) {
  static const std::string keys = "123A456B789C*0#D";
  static const double rows[] = {697, 770, 852, 941};
  static const double cols[] = {1209, 1336, 1477, 1633};
  size_t k = keys.find(key);
  REQUIRE(k != std::string::npos);
  double lo = rows[k / 4], hi = cols[k % 4];
  for (int i = 0; i < tone_ms * 8; ++i) {
    double t = double(i) / 8000.0;
    out.push_back(int16_t(32767 * amplitude * (std::sin(2 * kPi * lo * t) + std::sin(2 * kPi * hi * t))));
  }
  out.insert(out.end(), size_t(gap_ms * 8), 0);
}

std::string detect_g711(const std::vector<int16_t>& pcm, bool ulaw) {
  std::string got;
  InbandDtmfDetector d([&](char c) { got += c; });
  // As RTP: 160-sample (20 ms) packets of G.711, decoded as the session's decoder does.
  std::vector<int16_t> decoded(160);
  for (size_t i = 0; i < pcm.size(); i += 160) {
    std::vector<uint8_t> payload;
    for (size_t j = i; j < std::min(pcm.size(), i + 160); ++j)
      payload.push_back(ulaw ? g711::encode_ulaw(pcm[j]) : g711::encode_alaw(pcm[j]));
    size_t n = ulaw ? g711::decode_ulaw(payload, decoded) : g711::decode_alaw(payload, decoded);
    d.feed(std::span<const int16_t>(decoded).first(n));
  }
  return got;
}

}  // namespace

TEST_CASE("inband dtmf: every key is found once through u-law and A-law", "[dtmf]") {
  std::vector<int16_t> pcm;
  for (char c : std::string("0123456789*#ABCD")) append_key(pcm, c, 80, 60);
  CHECK(detect_g711(pcm, true) == "0123456789*#ABCD");
  CHECK(detect_g711(pcm, false) == "0123456789*#ABCD");
}

TEST_CASE("inband dtmf: a long key press is one digit, a repeated key two", "[dtmf]") {
  std::vector<int16_t> pcm;
  append_key(pcm, '5', 600, 100);
  append_key(pcm, '5', 100, 100);
  CHECK(detect_g711(pcm, true) == "55");
}

TEST_CASE("inband dtmf: a single tone, silence and speech-like noise are not digits", "[dtmf]") {
  std::vector<int16_t> pcm;
  for (int i = 0; i < 8000; ++i) pcm.push_back(int16_t(8000 * std::sin(2 * kPi * 1000 * i / 8000.0)));  // 1 kHz
  pcm.insert(pcm.end(), 8000, 0);
  uint32_t x = 12345;
  for (int i = 0; i < 8000; ++i) {  // white noise
    x = x * 1103515245 + 12345;
    pcm.push_back(int16_t(int(x >> 16) % 8000 - 4000));
  }
  CHECK(detect_g711(pcm, true).empty());
}
