#include <catch2/catch.hpp>

#include <cmath>

#include "test_media_support.h"
#include "zvon/g711.h"

using namespace zvon;

namespace {

double snr_db(std::span<const int16_t> ref, std::span<const int16_t> got) {
  double signal = 0, noise = 0;
  for (size_t i = 0; i < ref.size(); ++i) {
    signal += double(ref[i]) * ref[i];
    double e = double(ref[i]) - got[i];
    noise += e * e;
  }
  return 10 * std::log10(signal / noise);
}

}  // namespace

// G.711 gives about 38 dB SNR on a loud sine (its segment structure keeps the ratio roughly
// constant over 30 dB of level); 35 dB leaves room without letting a broken table through.
TEST_CASE("g711: a sine survives the round trip with SNR above 35 dB", "[g711]") {
  for (double amplitude : {0.5, 0.05}) {
    auto in = test::sine(1013, 8000, 8000, amplitude);
    std::vector<uint8_t> coded(in.size());
    std::vector<int16_t> out(in.size());

    REQUIRE(g711::encode_ulaw(in, coded) == in.size());
    REQUIRE(g711::decode_ulaw(coded, out) == in.size());
    double mu = snr_db(in, out);
    CHECK(mu > 35.0);

    REQUIRE(g711::encode_alaw(in, coded) == in.size());
    REQUIRE(g711::decode_alaw(coded, out) == in.size());
    double a = snr_db(in, out);
    CHECK(a > 35.0);
    INFO("amplitude " << amplitude << ": u-law " << mu << " dB, A-law " << a << " dB");
  }
}

TEST_CASE("g711: every codeword decodes to a value that encodes back to it", "[g711]") {
  for (int c = 0; c < 256; ++c) {
    // A-law has no zero: all 256 codewords are distinct values.
    CHECK(g711::encode_alaw(g711::decode_alaw(uint8_t(c))) == c);
    // u-law has a positive (0xFF) and a negative (0x7F) zero; both decode to 0, which encodes
    // as the positive one. Every other codeword comes back as itself.
    uint8_t back = g711::encode_ulaw(g711::decode_ulaw(uint8_t(c)));
    CHECK(back == (c == 0x7f ? 0xff : c));
  }
}

TEST_CASE("g711: known values from the standard", "[g711]") {
  CHECK(g711::encode_ulaw(0) == 0xff);
  CHECK(g711::encode_alaw(0) == 0xd5);
  CHECK(g711::decode_ulaw(0x00) == -32124);  // the loudest negative u-law step
  CHECK(g711::decode_ulaw(0x80) == 32124);
  CHECK(g711::decode_alaw(0xaa) == 32256);   // the loudest positive A-law step
  CHECK(g711::decode_alaw(0x2a) == -32256);
  CHECK(g711::encode_ulaw(32767) == 0x80);    // clipped at the top
  CHECK(g711::encode_ulaw(-32768) == 0x00);
  CHECK(g711::encode_alaw(32767) == 0xaa);
  CHECK(g711::encode_alaw(-32768) == 0x2a);
}

TEST_CASE("g711: u-law <-> A-law transcoding goes through the same values", "[g711]") {
  for (int c = 0; c < 256; ++c) {
    uint8_t u = uint8_t(c);
    CHECK(g711::ulaw_to_alaw(u) == g711::encode_alaw(g711::decode_ulaw(u)));
    CHECK(g711::alaw_to_ulaw(u) == g711::encode_ulaw(g711::decode_alaw(u)));
  }
  // Transcoding a real signal both ways loses little more than one coding does.
  auto in = test::sine(700, 8000, 4000);
  std::vector<uint8_t> u(in.size());
  g711::encode_ulaw(in, u);
  g711::ulaw_to_alaw(u);
  g711::alaw_to_ulaw(u);
  std::vector<int16_t> out(in.size());
  g711::decode_ulaw(u, out);
  CHECK(snr_db(in, out) > 33.0);
}
