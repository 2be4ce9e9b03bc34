// The translation registry: which path each pair of codecs takes, the streaming resampler,
// and Translators carrying a tone across codecs (with a lost packet on the way).
#include <catch2/catch.hpp>

#include "media/stream_resampler.h"
#include "media/translation_path.h"
#include "media/translator.h"
#include "test_codec_support.h"
#include "test_media_support.h"

using namespace zvon;
using Kind = TranslationPath::Kind;

namespace {

// Collects what a FrameEncoder or Translator sends.
struct Collect final : PayloadSink {
  std::vector<std::vector<uint8_t>> payloads;
  std::vector<uint32_t> timestamps;
  void on_payload(std::span<const uint8_t> p, uint32_t ts) override {
    payloads.emplace_back(p.begin(), p.end());
    timestamps.push_back(ts);
  }
};

// Encodes `pcm` (at `rate`) as 20 ms packets of `codec`, as RTP packets numbered from `seq`.
std::vector<std::vector<uint8_t>> packetize(const Codec& codec, int rate, std::span<const int16_t> pcm) {
  auto enc = codec.make_encoder(CodecSettings{rate, {}});
  REQUIRE(enc);
  const size_t frame = size_t(rate) / 50;
  const uint32_t ts_step = uint32_t(codec.clock_rate() / 50);
  std::vector<std::vector<uint8_t>> out;
  std::vector<uint8_t> buf(1500);
  for (size_t at = 0, i = 0; at + frame <= pcm.size(); at += frame, ++i) {
    size_t n = enc->encode(pcm.subspan(at, frame), buf);
    REQUIRE(n > 0);
    out.push_back(test::make_rtp({.pt = 96, .seq = uint16_t(1000 + i), .ts = uint32_t(5000 + i * ts_step), .ssrc = 7},
                                 std::span<const uint8_t>(buf).first(n)));
  }
  return out;
}

std::vector<int16_t> decode_all(const Codec& codec, int rate, const Collect& c) {
  auto dec = codec.make_decoder(CodecSettings{rate, {}});
  std::vector<int16_t> out, pcm(5760);
  for (auto& p : c.payloads) {
    size_t n = dec->decode(p, pcm);
    out.insert(out.end(), pcm.begin(), pcm.begin() + long(n));
  }
  return out;
}

}  // namespace

TEST_CASE("translation: the cheapest path keeps the band both codecs carry", "[translation]") {
  test::CodecModules m;
  auto ulaw = m.codec("PCMU"), alaw = m.codec("PCMA"), g722 = m.codec("G722"), opus = m.codec("opus");
  test::L16Wideband l16;

  struct Row {
    const Codec* from;
    const Codec* to;
    Kind kind;
    int decode_rate, encode_rate;
  };
  const Row table[] = {
      {ulaw.get(), ulaw.get(), Kind::Relay, 0, 0},
      {opus.get(), opus.get(), Kind::Relay, 0, 0},
      {ulaw.get(), alaw.get(), Kind::ByteMap, 0, 0},
      {alaw.get(), ulaw.get(), Kind::ByteMap, 0, 0},
      // Opus decodes and encodes at 8 kHz itself: no resampler toward G.711.
      {opus.get(), ulaw.get(), Kind::Transcode, 8000, 8000},
      {alaw.get(), opus.get(), Kind::Transcode, 8000, 8000},
      // G.722 meets G.711 in SpanDSP's 8 kHz mode, Opus at 16 kHz (wideband kept).
      {g722.get(), ulaw.get(), Kind::Transcode, 8000, 8000},
      {g722.get(), opus.get(), Kind::Transcode, 16000, 16000},
      {opus.get(), g722.get(), Kind::Transcode, 16000, 16000},
      // No rate in common: resample, from L16's 16 kHz down to G.711's 8 kHz.
      {&l16, ulaw.get(), Kind::Transcode, 16000, 8000},
      {ulaw.get(), &l16, Kind::Transcode, 8000, 16000},
      {&l16, opus.get(), Kind::Transcode, 16000, 16000},
  };
  for (auto& row : table) {
    auto path = find_translation_path(*row.from, *row.to);
    INFO(path.describe(*row.from, *row.to));
    CHECK(path.kind == row.kind);
    if (row.kind == Kind::Transcode) {
      CHECK(path.decode_rate == row.decode_rate);
      CHECK(path.encode_rate == row.encode_rate);
      CHECK(path.resamples() == (row.decode_rate != row.encode_rate));
    }
  }
  CHECK(find_translation_path(*g722, *ulaw).cost < find_translation_path(l16, *ulaw).cost);
  CHECK(find_translation_path(l16, *ulaw).describe(l16, *ulaw) == "L16@16000 -> resample -> PCMU@8000");
}

TEST_CASE("resampler: a tone keeps its frequency and the stream its length, chunk by chunk", "[translation]") {
  for (auto [in_rate, out_rate] : {std::pair{8000, 48000}, {48000, 8000}, {16000, 8000}, {8000, 16000}}) {
    StreamResampler r(in_rate, out_rate);
    auto in = test::sine(1000, in_rate, size_t(in_rate), 0.5);
    std::vector<int16_t> out;
    std::vector<int16_t> buf(r.max_output(StreamResampler::kMaxInput));
    // Odd chunk sizes: the history must join them seamlessly.
    for (size_t at = 0; at < in.size();) {
      size_t n = std::min<size_t>(in.size() - at, 97 + at % 300);
      size_t got = r.process(std::span(in).subspan(at, n), buf);
      out.insert(out.end(), buf.begin(), buf.begin() + long(got));
      at += n;
    }
    INFO(in_rate << " -> " << out_rate);
    CHECK(std::abs(long(out.size()) - long(out_rate)) <= 2);
    auto middle = std::span(out).subspan(out.size() / 4, out.size() / 2);
    CHECK(test::tone_fraction(middle, 1000, out_rate) > 0.99);
    // Unity gain: a 0.5 full-scale sine keeps its RMS (0.5 / sqrt 2 of full scale).
    double sum = 0;
    for (int16_t v : middle) sum += double(v) * v;
    CHECK(std::sqrt(sum / double(middle.size())) == Approx(0.5 * 32767 / std::sqrt(2.0)).epsilon(0.03));
  }
}

// Opus in, G.711 out: one packet lost on the way is concealed, the tone arrives whole, and the
// output timestamps advance 160 per 20 ms on the 8 kHz clock.
TEST_CASE("translator: opus to PCMU carries a tone and conceals a lost packet", "[translation][opus]") {
  test::CodecModules m;
  auto ulaw = m.codec("PCMU"), opus = m.codec("opus");
  auto packets = packetize(*opus, 48000, test::sine(1000, 48000, 48000));
  std::string why;
  auto t = Translator::make(*opus, *ulaw, "", 20, &why);
  REQUIRE(t);
  CHECK_FALSE(t->path().resamples());
  Collect out;
  for (size_t i = 0; i < packets.size(); ++i) {
    if (i == 20) continue;  // lost
    t->translate(RtpPacket(packets[i].data(), packets[i].size()), out);
  }
  // A packet that comes back late is not played out of order.
  t->translate(RtpPacket(packets[20].data(), packets[20].size()), out);
  CHECK(t->stats().concealed == 1);
  CHECK(t->stats().late == 1);
  REQUIRE(out.payloads.size() == packets.size());
  for (size_t i = 1; i < out.timestamps.size(); ++i) CHECK(out.timestamps[i] - out.timestamps[i - 1] == 160);
  for (auto& p : out.payloads) CHECK(p.size() == 160);
  auto pcm = decode_all(*ulaw, 8000, out);
  CHECK(test::tone_fraction(std::span(pcm).subspan(1600), 1000, 8000) > 0.9);
}

// G.711 in, Opus out at the 48 kHz clock: 960 per 20 ms; what the far end decodes is the tone.
TEST_CASE("translator: PCMA to opus, timestamps on the 48 kHz clock", "[translation][opus]") {
  test::CodecModules m;
  auto alaw = m.codec("PCMA"), opus = m.codec("opus");
  auto packets = packetize(*alaw, 8000, test::sine(700, 8000, 8000));
  auto t = Translator::make(*alaw, *opus, "useinbandfec=1", 20, nullptr);
  REQUIRE(t);
  Collect out;
  for (auto& p : packets) t->translate(RtpPacket(p.data(), p.size()), out);
  REQUIRE(out.payloads.size() == packets.size());
  for (size_t i = 1; i < out.timestamps.size(); ++i) CHECK(out.timestamps[i] - out.timestamps[i - 1] == 960);
  auto pcm = decode_all(*opus, 48000, out);
  CHECK(test::tone_fraction(std::span(pcm).subspan(9600), 700, 48000) > 0.9);
}

// No common rate: 16 kHz L16 down to PCMU goes through the resampler. A 30 ms ptime on the
// G.711 side regroups the 20 ms input into 30 ms packets.
TEST_CASE("translator: resampling path and a 30 ms ptime", "[translation]") {
  test::CodecModules m;
  auto ulaw = m.codec("PCMU");
  test::L16Wideband l16;
  auto packets = packetize(l16, 16000, test::sine(1200, 16000, 16000));
  auto t = Translator::make(l16, *ulaw, "", 30, nullptr);
  REQUIRE(t);
  CHECK(t->path().resamples());
  Collect out;
  for (auto& p : packets) t->translate(RtpPacket(p.data(), p.size()), out);
  CHECK(out.payloads.size() >= 32);  // 1 s in 30 ms packets (the last one partial)
  for (auto& p : out.payloads) CHECK(p.size() == 240);
  for (size_t i = 1; i < out.timestamps.size(); ++i) CHECK(out.timestamps[i] - out.timestamps[i - 1] == 240);
  auto pcm = decode_all(*ulaw, 8000, out);
  CHECK(test::tone_fraction(std::span(pcm).subspan(800), 1200, 8000) > 0.9);
}

TEST_CASE("translator: a codec that cannot make the encoder says why", "[translation]") {
  test::CodecModules m;
  auto ulaw = m.codec("PCMU"), opus = m.codec("opus");
  std::string why;
  CHECK_FALSE(Translator::make(*ulaw, *opus, "", 30, &why));  // Opus has no 30 ms frame
  CHECK(why == "opus cannot encode 30 ms frames at 8000 Hz");
}
