// The codec modules through the Codec interface: round trips with a stated SNR bound, Opus's
// fmtp (DTX, FEC) and packet-loss concealment.
#include <catch2/catch.hpp>

#include <cstdio>

#include "test_codec_support.h"
#include "test_media_support.h"

using namespace zvon;

namespace {

// Encodes `in` in 20 ms frames and decodes each packet; the decoded stream.
std::vector<int16_t> round_trip(const Codec& codec, int rate, std::span<const int16_t> in,
                                std::string_view remote_fmtp = {}) {
  auto enc = codec.make_encoder(CodecSettings{rate, remote_fmtp});
  auto dec = codec.make_decoder(CodecSettings{rate, {}});
  REQUIRE(enc);
  REQUIRE(dec);
  const size_t frame = size_t(rate) / 50;
  std::vector<int16_t> out;
  std::vector<uint8_t> packet(1500);
  std::vector<int16_t> pcm(5760);
  for (size_t at = 0; at + frame <= in.size(); at += frame) {
    size_t bytes = enc->encode(in.subspan(at, frame), packet);
    REQUIRE(bytes > 0);
    size_t n = dec->decode(std::span<const uint8_t>(packet).first(bytes), pcm);
    REQUIRE(n == frame);
    out.insert(out.end(), pcm.begin(), pcm.begin() + long(n));
  }
  return out;
}

}  // namespace

TEST_CASE("codecs: rates, clocks and names as SDP wants them", "[codec]") {
  test::CodecModules m;
  auto g722 = m.codec("G722");
  CHECK(g722->clock_rate() == 8000);  // RFC 3551: 16 kHz audio, 8000 clock
  CHECK(g722->static_payload_type() == 9);
  CHECK(g722->pcm_rates().front() == 16000);
  CHECK(g722->has_pcm_rate(8000));
  auto opus = m.codec("opus");
  CHECK(opus->clock_rate() == 48000);
  CHECK(opus->sdp_channels() == 2);
  CHECK(opus->static_payload_type() == -1);
  CHECK(opus->fmtp() == "useinbandfec=1");
  for (int r : {48000, 24000, 16000, 12000, 8000}) CHECK(opus->has_pcm_rate(r));
  CHECK_FALSE(opus->make_encoder(CodecSettings{44100, {}}));
  CHECK_FALSE(m.codec("PCMU")->make_decoder(CodecSettings{16000, {}}));
}

// G.722 at 64 kbit/s is waveform coding (sub-band ADPCM): on this signal it keeps about
// 44 dB at 16 kHz and at 8 kHz. The bound leaves room without letting a broken codec through.
TEST_CASE("g722: round trip at 16 kHz and 8 kHz keeps SNR above 35 dB", "[codec][g722]") {
  test::CodecModules m;
  auto g722 = m.codec("G722");
  for (int rate : {16000, 8000}) {
    auto in = test::voice_like(rate, size_t(rate));
    auto out = round_trip(*g722, rate, in);
    double snr = test::aligned_snr_db(in, out, 64, size_t(rate) / 10);
    INFO("rate " << rate << " snr " << snr);
    CHECK(snr > 35.0);
    // 20 ms of 16 kHz audio is 160 bytes: 8 bits per pair of samples.
    auto enc = g722->make_encoder(CodecSettings{16000, {}});
    std::vector<uint8_t> packet(400);
    CHECK(enc->encode(std::span(in).first(320), packet) == 160);
  }
}

// Opus is perceptual, not waveform, coding: its SNR is low by nature. At zvon's 24 kbit/s
// this signal keeps 14 to 17 dB; 10 dB fails anything that garbles or misaligns it.
TEST_CASE("opus: round trip at 48 kHz and 8 kHz keeps SNR above 10 dB", "[codec][opus]") {
  test::CodecModules m;
  auto opus = m.codec("opus");
  for (int rate : {48000, 16000, 8000}) {
    auto in = test::voice_like(rate, size_t(rate));
    auto out = round_trip(*opus, rate, in);
    double snr = test::aligned_snr_db(in, out, size_t(rate) / 50, size_t(rate) / 5);
    INFO("rate " << rate << " snr " << snr);
    CHECK(snr > 10.0);
    CHECK(test::tone_fraction(std::span(out).subspan(size_t(rate) / 5), 440, rate) > 0.5);
  }
}

TEST_CASE("opus: usedtx=1 from the far end stops packets during silence", "[codec][opus]") {
  test::CodecModules m;
  auto opus = m.codec("opus");
  std::vector<int16_t> silence(160);
  std::vector<uint8_t> packet(1500);
  auto count_sent = [&](std::string_view fmtp) {
    auto enc = opus->make_encoder(CodecSettings{8000, fmtp});
    int sent = 0;
    for (int i = 0; i < 100; ++i) sent += enc->encode(silence, packet) > 0;
    return sent;
  };
  CHECK(count_sent("") == 100);
  CHECK(count_sent("usedtx=0") == 100);
  int with_dtx = count_sent("maxplaybackrate=16000; usedtx=1");
  INFO("packets sent in 2 s of silence with DTX: " << with_dtx);
  CHECK(with_dtx < 20);  // a few at the start and one every 400 ms
}

// A lost packet: concealment fills it with sound instead of a hole, and with useinbandfec=1
// the next packet's FEC data brings back the lost audio itself.
TEST_CASE("opus: a lost packet is concealed, better still with in-band FEC", "[codec][opus]") {
  test::CodecModules m;
  auto opus = m.codec("opus");
  const int rate = 8000;
  const size_t frame = 160;
  auto in = test::voice_like(rate, size_t(rate));
  auto enc = opus->make_encoder(CodecSettings{rate, "useinbandfec=1"});
  std::vector<std::vector<uint8_t>> packets;
  std::vector<uint8_t> buf(1500);
  for (size_t at = 0; at + frame <= in.size(); at += frame) {
    size_t n = enc->encode(std::span(in).subspan(at, frame), buf);
    REQUIRE(n > 0);
    packets.emplace_back(buf.begin(), buf.begin() + long(n));
  }
  // A frame in a loud stretch: SILK spends FEC bits only on frames it judges to be speech.
  const size_t lost = 20;
  auto decode_with = [&](bool fec) {
    auto dec = opus->make_decoder(CodecSettings{rate, {}});
    std::vector<int16_t> out, pcm(frame);
    for (size_t i = 0; i < packets.size(); ++i) {
      size_t n;
      if (i == lost) n = dec->conceal(fec ? std::span<const uint8_t>(packets[i + 1]) : std::span<const uint8_t>{}, pcm);
      else n = dec->decode(packets[i], pcm);
      REQUIRE(n == frame);
      out.insert(out.end(), pcm.begin(), pcm.end());
    }
    return out;
  };
  auto clean = decode_with(true);
  // Compare the lost frame with what the decoder gives when nothing is lost.
  auto full_dec = opus->make_decoder(CodecSettings{rate, {}});
  std::vector<int16_t> ref, pcm(frame);
  for (auto& p : packets) {
    full_dec->decode(p, pcm);
    ref.insert(ref.end(), pcm.begin(), pcm.end());
  }
  auto frame_snr = [&](const std::vector<int16_t>& got) {
    double s = 0, e = 0;
    for (size_t i = lost * frame; i < (lost + 1) * frame; ++i) {
      s += double(ref[i]) * ref[i];
      e += (double(ref[i]) - got[i]) * (double(ref[i]) - got[i]);
    }
    return 10 * std::log10(s / std::max(e, 1.0));
  };
  auto frame_rms = [&](const std::vector<int16_t>& x) {
    double e = 0;
    for (size_t i = lost * frame; i < (lost + 1) * frame; ++i) e += double(x[i]) * x[i];
    return std::sqrt(e / frame);
  };
  auto concealed = decode_with(false);
  double fec = frame_snr(clean);
  double plc = frame_snr(concealed);
  INFO("lost frame SNR: FEC " << fec << " dB, PLC " << plc << " dB");
  // PLC extrapolates (its phase drifts, so its SNR is near 0 dB) but fills the hole with
  // sound of about the right level instead of a click of silence.
  CHECK(frame_rms(concealed) > 0.3 * frame_rms(ref));
  // FEC brings back the lost frame itself (about 20 dB here).
  CHECK(fec > 12.0);
  CHECK(fec > plc + 6.0);
}

// G.711 has no FEC; its decoder fills a lost packet with the last pitch period heard, faded
// (SpanDSP's PLC), instead of a hole.
TEST_CASE("g711: a lost packet is filled with the last period, not silence", "[codec][g711]") {
  test::CodecModules m;
  for (auto name : {"PCMU", "PCMA"}) {
    auto codec = m.codec(name);
    auto dec = codec->make_decoder(CodecSettings{});
    auto enc = codec->make_encoder(CodecSettings{});
    auto in = test::sine(500, 8000, 1600, 0.4);
    std::vector<uint8_t> packet(160);
    std::vector<int16_t> pcm(160);
    for (size_t at = 0; at < in.size(); at += 160) {
      REQUIRE(enc->encode(std::span(in).subspan(at, 160), packet) == 160);
      REQUIRE(dec->decode(packet, pcm) == 160);
    }
    REQUIRE(dec->conceal({}, pcm) == 160);
    double e = 0;
    for (int16_t v : pcm) e += double(v) * v;
    INFO(name << " concealed rms " << std::sqrt(e / 160));
    CHECK(std::sqrt(e / 160) > 0.3 * 0.4 * 32767 / std::sqrt(2.0));
    // It continues the tone: most of its power is still at 500 Hz.
    CHECK(test::tone_fraction(pcm, 500, 8000) > 0.8);
  }
}

// G.722 has no concealment of its own; its decoder runs SpanDSP's pitch-repetition PLC on the
// 16 kHz output. A lost packet of a steady tone comes out as that tone at about its level,
// without a click where it starts or where real audio resumes, and the audio after the gap is
// clean again.
TEST_CASE("g722: a lost packet is concealed without clicks, and decoding recovers", "[codec][g722]") {
  test::CodecModules m;
  auto g722 = m.codec("G722");
  for (int rate : {16000, 8000}) {
    const size_t frame = size_t(rate / 50);
    auto enc = g722->make_encoder(CodecSettings{rate, {}});
    auto dec = g722->make_decoder(CodecSettings{rate, {}});
    REQUIRE(enc);
    REQUIRE(dec);
    auto in = test::sine(250, rate, frame * 30, 0.4);
    std::vector<int16_t> out, clean;
    std::vector<uint8_t> packet(320);
    std::vector<int16_t> pcm(frame);
    auto ref_dec = g722->make_decoder(CodecSettings{rate, {}});
    const size_t lost = 15;
    for (size_t i = 0; i < 30; ++i) {
      size_t bytes = enc->encode(std::span(in).subspan(i * frame, frame), packet);
      REQUIRE(bytes > 0);
      std::vector<int16_t> ref(frame);
      REQUIRE(ref_dec->decode(std::span<const uint8_t>(packet).first(bytes), ref) == frame);
      clean.insert(clean.end(), ref.begin(), ref.end());
      size_t n = i == lost ? dec->conceal({}, pcm) : dec->decode(std::span<const uint8_t>(packet).first(bytes), pcm);
      REQUIRE(n == frame);
      out.insert(out.end(), pcm.begin(), pcm.begin() + long(n));
    }
    auto concealed = std::span<const int16_t>(out).subspan(lost * frame, frame);
    double e = 0, ref_e = 0;
    for (size_t i = 0; i < frame; ++i) {
      e += double(concealed[i]) * concealed[i];
      ref_e += double(clean[lost * frame + i]) * clean[lost * frame + i];
    }
    const double rms = std::sqrt(e / double(frame)), ref_rms = std::sqrt(ref_e / double(frame));
    // The largest step between neighbouring samples in clean audio, and around the gap.
    auto max_step = [&](size_t from, size_t to) {
      int step = 0;
      for (size_t i = from + 1; i < to; ++i) step = std::max(step, std::abs(out[i] - out[i - 1]));
      return step;
    };
    int clean_step = 0;
    for (size_t i = frame * 5 + 1; i < frame * 14; ++i) clean_step = std::max(clean_step, std::abs(clean[i] - clean[i - 1]));
    const int gap_step = max_step(lost * frame - 8, (lost + 1) * frame + 8);
    const double after = test::aligned_snr_db(std::span<const int16_t>(clean).subspan((lost + 3) * frame, frame * 10),
                                              std::span<const int16_t>(out).subspan((lost + 3) * frame, frame * 10), 0, 0);
    INFO("rate " << rate << ": concealed rms " << rms << " of " << ref_rms << ", tone "
                 << test::tone_fraction(concealed, 250, rate) << ", steps " << gap_step << " vs " << clean_step
                 << ", SNR 60 ms after the gap " << after << " dB");
    CHECK(rms > 0.3 * ref_rms);
    CHECK(test::tone_fraction(concealed, 250, rate) > 0.8);
    CHECK(gap_step < 2 * clean_step);
    CHECK(after > 30);
  }
}
