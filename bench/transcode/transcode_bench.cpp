// zvon-transcode-bench [packets]: the CPU cost of one 20 ms packet
//   - of libopus alone: opus_encode + opus_decode at 8 kHz with codec_opus's settings, the
//     codec's own floor;
//   - of zvon's two translators of a G.711 <-> Opus call: PCMU -> opus (G.711 decode, Opus
//     encode, RTP timestamps) and opus -> PCMU (sequence check, Opus decode, G.711 encode),
//     both through the codec modules as a bridge uses them;
// measured in the same run on the same speech-like signal, single-threaded, as this thread's
// CPU time, in interleaved rounds keeping the fastest of each. The overhead is zvon's per-packet time over libopus's.
#include <opus.h>
#include <time.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <vector>

#include "../microbench_support.h"
#include "media/translator.h"
#include "zvon/g711.h"

using namespace zvon;

// The CPU time of this thread: on a machine shared with other work, wall time would measure
// the others too.
struct Clock {
  using duration = std::chrono::nanoseconds;
  using time_point = std::chrono::time_point<Clock, duration>;
  static time_point now() {
    timespec ts{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return time_point(duration(int64_t(ts.tv_sec) * 1000000000 + ts.tv_nsec));
  }
};

namespace {

constexpr int kRate = 8000;
constexpr size_t kFrame = 160;

struct Keep final : PayloadSink {  // keeps the last payload, so nothing is optimised away
  std::vector<uint8_t> last = std::vector<uint8_t>(1500);
  size_t bytes = 0;
  uint64_t count = 0;
  void on_payload(std::span<const uint8_t> p, uint32_t) override {
    std::copy(p.begin(), p.end(), last.begin());
    bytes += p.size();
    ++count;
  }
};

double ns_per(Clock::duration d, size_t n) {
  return double(std::chrono::duration_cast<std::chrono::nanoseconds>(d).count()) / double(n);
}

}  // namespace

int main(int argc, char** argv) {
  const size_t packets = argc > 1 ? size_t(std::atol(argv[1])) : 20000;
  const auto pcm = bench::speech_like_signal(kFrame * 500, kRate);  // 10 s, played round and round
  auto frame = [&](size_t i) { return std::span(pcm).subspan((i % 500) * kFrame, kFrame); };

  // libopus alone, set up as codec_opus sets up its encoder (speech, 24 kbit/s).
  int err = 0;
  OpusEncoder* enc = opus_encoder_create(kRate, 1, OPUS_APPLICATION_VOIP, &err);
  OpusDecoder* dec = opus_decoder_create(kRate, 1, &err);
  opus_encoder_ctl(enc, OPUS_SET_SIGNAL(OPUS_SIGNAL_VOICE));
  opus_encoder_ctl(enc, OPUS_SET_BITRATE(24000));
  std::vector<uint8_t> buf(1500);
  std::vector<int16_t> out(kFrame);
  size_t raw_bytes = 0, raw_done = 0;
  auto raw_round = [&](size_t n) {
    auto t0 = Clock::now();
    for (size_t k = 0; k < n; ++k, ++raw_done) {
      int bytes = opus_encode(enc, frame(raw_done).data(), int(kFrame), buf.data(), int(buf.size()));
      raw_bytes += size_t(bytes);
      if (opus_decode(dec, buf.data(), bytes, out.data(), int(kFrame), 0) != int(kFrame)) std::abort();
    }
    return ns_per(Clock::now() - t0, n);
  };

  // zvon: a core with the codec modules, as the daemon has them.
  double zvon_ns = 0, raw_ns = 0, jb_ns = 0;
  uint64_t zvon_packets = 0, jb_packets = 0;
  {
    bench::BenchCore bench_core({"codec_g711", "codec_opus"});
    if (!bench_core.error().empty()) {
      std::fprintf(stderr, "%s\n", bench_core.error().c_str());
      return 1;
    }
    CoreImpl& core = bench_core.core();
    auto ulaw = core.find_codec("PCMU");
    auto opus = core.find_codec("opus");
    auto to_opus = Translator::make(*ulaw, *opus, "", 20, nullptr);
    auto to_ulaw = Translator::make(*opus, *ulaw, "", 20, nullptr);
    // The packets each side's phone sends: G.711 prepared in advance, Opus from a first pass.
    std::vector<std::vector<uint8_t>> ulaw_packets, opus_packets;
    for (size_t i = 0; i < 500; ++i) {
      std::vector<uint8_t> coded(kFrame);
      g711::encode_ulaw(frame(i), coded);
      ulaw_packets.push_back(bench::rtp(0, uint16_t(i), uint32_t(i * kFrame), coded));
    }
    {
      auto warm = Translator::make(*ulaw, *opus, "", 20, nullptr);
      struct Collect final : PayloadSink {
        std::vector<std::vector<uint8_t>>* out;
        uint16_t seq = 0;
        void on_payload(std::span<const uint8_t> p, uint32_t ts) override {
          out->push_back(bench::rtp(96, seq++, ts, p));
        }
      } collect;
      collect.out = &opus_packets;
      for (auto& p : ulaw_packets) warm->translate(RtpPacket(p.data(), p.size()), collect);
    }
    Keep a, b;
    size_t i = 0;
    auto zvon_round = [&](size_t n) {
      auto t1 = Clock::now();
      for (size_t end = i + n; i < end; ++i) {
      auto& u = ulaw_packets[i % ulaw_packets.size()];
      // Sequence numbers run on across laps, as a real stream's do.
      u[2] = uint8_t(i >> 8);
      u[3] = uint8_t(i);
      to_opus->translate(RtpPacket(u.data(), u.size()), a);
      auto& o = opus_packets[i % opus_packets.size()];
      o[2] = uint8_t(i >> 8);
      o[3] = uint8_t(i);
      to_ulaw->translate(RtpPacket(o.data(), o.size()), b);
      }
      return ns_per(Clock::now() - t1, n);
    };
    // The same two directions with the adaptive jitter buffer in front of each decoder, as
    // a bridge runs them by default: each packet goes in, and the 20 ms playout clock takes
    // one frame out. Timestamps run on with the sequence numbers, so that the buffer sees
    // one long stream, not a restart every lap.
    JitterBufferSettings jb;
    auto jb_to_opus = Translator::make(*ulaw, *opus, "", 20, nullptr, &jb);
    auto jb_to_ulaw = Translator::make(*opus, *ulaw, "", 20, nullptr, &jb);
    Keep c, d;
    size_t j = 0;
    auto put_seq_ts = [](std::vector<uint8_t>& p, size_t n, uint32_t ts) {
      p[2] = uint8_t(n >> 8);
      p[3] = uint8_t(n);
      p[4] = uint8_t(ts >> 24);
      p[5] = uint8_t(ts >> 16);
      p[6] = uint8_t(ts >> 8);
      p[7] = uint8_t(ts);
    };
    auto jb_round = [&](size_t n) {
      auto t1 = Clock::now();
      for (size_t end = j + n; j < end; ++j) {
        const uint64_t now_ms = 20 * j;
        auto& u = ulaw_packets[j % ulaw_packets.size()];
        put_seq_ts(u, j, uint32_t(j * kFrame));
        jb_to_opus->buffer(RtpPacket(u.data(), u.size()), now_ms);
        jb_to_opus->play(now_ms, c);
        auto& o = opus_packets[j % opus_packets.size()];
        put_seq_ts(o, j, uint32_t(j * 960));
        jb_to_ulaw->buffer(RtpPacket(o.data(), o.size()), now_ms);
        jb_to_ulaw->play(now_ms, d);
      }
      return ns_per(Clock::now() - t1, n);
    };
    // Interleaved rounds, the fastest of each kind kept: other processes on the machine only
    // ever make a round slower, so the minimum is the cost itself.
    const size_t rounds = 20, per_round = std::max<size_t>(packets / rounds, 1);
    raw_ns = 1e18;
    zvon_ns = 1e18;
    jb_ns = 1e18;
    for (size_t r = 0; r < rounds; ++r) {
      raw_ns = std::min(raw_ns, raw_round(per_round));
      zvon_ns = std::min(zvon_ns, zvon_round(per_round));
      jb_ns = std::min(jb_ns, jb_round(per_round));
    }
    jb_packets = c.count + d.count;
    const auto& js = jb_to_ulaw->jitter_buffer()->stats();
    if (js.lost || js.late || js.resyncs)
      std::fprintf(stderr, "unexpected loss behind the jitter buffer: %llu lost, %llu late, %llu resyncs\n",
                   (unsigned long long)js.lost, (unsigned long long)js.late, (unsigned long long)js.resyncs);
    zvon_packets = a.count + b.count;
    if (to_ulaw->stats().concealed || to_ulaw->stats().late) std::fprintf(stderr, "unexpected loss\n");
  }
  opus_encoder_destroy(enc);
  opus_decoder_destroy(dec);

  std::printf("packets                      %zu (20 ms, 8 kHz speech-like signal)\n", packets);
  std::printf("libopus encode+decode        %8.0f ns/packet  (%.1f kbit/s)\n", raw_ns,
              double(raw_bytes) * 8 / (double(raw_done) * 0.02) / 1000);
  std::printf("zvon PCMU->opus + opus->PCMU %8.0f ns/packet  (%llu payloads out)\n", zvon_ns,
              (unsigned long long)zvon_packets);
  std::printf("overhead above libopus       %8.1f %%\n", (zvon_ns / raw_ns - 1) * 100);
  std::printf("the same with jitter buffers %8.0f ns/packet  (%llu payloads out)\n", jb_ns,
              (unsigned long long)jb_packets);
  std::printf("jitter buffer cost           %8.0f ns/packet  (%+.1f %% on the transcoded path)\n",
              jb_ns - zvon_ns, (jb_ns / zvon_ns - 1) * 100);
  std::printf("transcoded calls per core    %8.0f (both directions, codec work only)\n", 20e6 / zvon_ns);
  return 0;
}
