// zvon-record-bench [seconds]: the CPU cost of recording one call, per 20 ms of it
//   - reference: a bare recorder: G.711 μ-law decoded by table in both directions, summed
//     with saturation, written to an 8 kHz WAV with libsndfile;
//   - zvon PCMU: the same call through app_record's parts: two LegDecoders (RTP in, codec
//     decoder from codec_g711, sequence check, frame queue), the mix MixMonitor does, and the
//     same libsndfile write SoundFileWriter's threadpool job does;
//   - reference Opus: libopus alone decoding both directions at 48 kHz, summed, written;
//   - zvon Opus: that Opus call (codec_opus, 20 ms packets) recorded at 48 kHz through the
//     same parts as the PCMU one.
// Measured in the same run as this thread's CPU time (the writes are done inline, so they
// count too), in interleaved rounds keeping the fastest of each kind.
#include <opus.h>
#include <sndfile.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <numbers>
#include <vector>

#include "../microbench_support.h"
#include "leg_decoder.h"
#include "zvon/g711.h"

using namespace zvon;

namespace {

double cpu_ns() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return double(ts.tv_sec) * 1e9 + double(ts.tv_nsec);
}

// The endpoint LegDecoder asks for the codec and payload type.
struct Endpoint final : MediaEndpoint {
  Pinned<Codec> codec_;
  int pt = 0;
  const Codec* codec() const override { return codec_.get(); }
  Pinned<Codec> pinned_codec() const override { return codec_; }
  int audio_payload_type() const override { return pt; }
  int dtmf_payload_type() const override { return 101; }
  void set_receiver(MediaReceiver*) override {}
  void relay(const RtpPacket&, const MediaEndpoint&) override {}
  void send_audio(std::span<const int16_t>, int) override {}
  void add_tap(MediaTap*) override {}
  void remove_tap(MediaTap*) override {}
};

SNDFILE* open_wav(const std::filesystem::path& path, int rate) {
  SF_INFO info{};
  info.samplerate = rate;
  info.channels = 1;
  info.format = SF_FORMAT_WAV | SF_FORMAT_PCM_16;
  SNDFILE* f = sf_open(path.c_str(), SFM_WRITE, &info);
  if (!f) std::abort();
  return f;
}

// One recorded call through app_record's parts: packets of both directions in, frames mixed
// and written a quarter second at a time, as SoundFileWriter batches them.
struct ZvonRecording {
  Endpoint ep;
  record::LegDecoder said, heard;
  std::vector<int16_t> a, b, mix, batch;
  SNDFILE* file;
  ZvonRecording(Pinned<Codec> codec, int pt, int rate, const std::filesystem::path& path)
      : said(rate, false), heard(rate, false), a(said.frame_samples()), b(a.size()), mix(a.size()), file(open_wav(path, rate)) {
    ep.codec_ = std::move(codec);
    ep.pt = pt;
  }
  ~ZvonRecording() { sf_close(file); }
  void packet(std::vector<uint8_t>& in, std::vector<uint8_t>& out) {
    said.push(ep, RtpPacket(in.data(), in.size()), 0);
    heard.push(ep, RtpPacket(out.data(), out.size()), 0);
    while (said.pop(a)) {
      if (!heard.pop(b)) std::fill(b.begin(), b.end(), int16_t(0));
      for (size_t i = 0; i < a.size(); ++i) mix[i] = int16_t(std::clamp(int(a[i]) + int(b[i]), -32768, 32767));
      batch.insert(batch.end(), mix.begin(), mix.end());
      if (batch.size() >= a.size() * 12) {
        sf_writef_short(file, batch.data(), sf_count_t(batch.size()));
        batch.clear();
      }
    }
  }
};

}  // namespace

int main(int argc, char** argv) {
  const double seconds = argc > 1 ? std::atof(argv[1]) : 200;
  const size_t packets = size_t(seconds * 50);
  double ref_ns = 1e18, pcmu_ns = 1e18, opus_ns = 1e18, opus_ref_ns = 1e18;
  {
    bench::BenchCore bench_core({"codec_g711", "codec_opus"});
    if (!bench_core.error().empty()) return std::fprintf(stderr, "%s\n", bench_core.error().c_str()), 1;
    CoreImpl& core = bench_core.core();
    const auto& dir = bench_core.dir();
    auto ulaw = core.find_codec("PCMU");
    auto opus = core.find_codec("opus");

    // Ten seconds of each direction, as the phones would send it, played round and round.
    const auto said8 = bench::speech_like_signal(80000, 8000, 440), heard8 = bench::speech_like_signal(80000, 8000, 620);
    std::vector<std::vector<uint8_t>> ulaw_said, ulaw_heard, opus_said, opus_heard;
    auto encode_all = [](const Codec& codec, int rate, const std::vector<int16_t>& pcm, int pt,
                         std::vector<std::vector<uint8_t>>& out) {
      CodecSettings cs;
      cs.pcm_rate = rate;
      auto enc = codec.make_encoder(cs);
      const size_t frame = size_t(rate) / 50;
      std::vector<uint8_t> payload(1500);
      for (size_t i = 0; i + frame <= pcm.size(); i += frame) {
        size_t n = enc->encode(std::span(pcm).subspan(i, frame), payload);
        out.push_back(bench::rtp(pt, uint16_t(out.size()), uint32_t(out.size() * 960), std::span(payload).first(n)));
      }
    };
    encode_all(*ulaw, 8000, said8, 0, ulaw_said);
    encode_all(*ulaw, 8000, heard8, 0, ulaw_heard);
    encode_all(*opus, 48000, bench::speech_like_signal(480000, 48000, 440), 96, opus_said);
    encode_all(*opus, 48000, bench::speech_like_signal(480000, 48000, 620), 96, opus_heard);

    SNDFILE* ref_file = open_wav(dir / "ref.wav", 8000);
    std::vector<int16_t> ref_batch;
    size_t ref_done = 0;
    auto ref_round = [&](size_t n) {
      const double t0 = cpu_ns();
      for (size_t k = 0; k < n; ++k, ++ref_done) {
        auto& in = ulaw_said[ref_done % ulaw_said.size()];
        auto& out = ulaw_heard[ref_done % ulaw_heard.size()];
        for (size_t i = 12; i < in.size(); ++i)
          ref_batch.push_back(int16_t(std::clamp(g711::decode_ulaw(in[i]) + g711::decode_ulaw(out[i]), -32768, 32767)));
        if (ref_batch.size() >= 2000) {
          sf_writef_short(ref_file, ref_batch.data(), sf_count_t(ref_batch.size()));
          ref_batch.clear();
        }
      }
      return (cpu_ns() - t0) / double(n);
    };
    auto zvon_round = [](ZvonRecording& rec, std::vector<std::vector<uint8_t>>& said,
                         std::vector<std::vector<uint8_t>>& heard, size_t& done, size_t n) {
      const double t0 = cpu_ns();
      for (size_t k = 0; k < n; ++k, ++done) {
        auto& in = said[done % said.size()];
        auto& out = heard[done % heard.size()];
        in[2] = out[2] = uint8_t(done >> 8);  // sequence numbers run on across laps
        in[3] = out[3] = uint8_t(done);
        rec.packet(in, out);
      }
      return (cpu_ns() - t0) / double(n);
    };
    int err = 0;
    OpusDecoder* dec_said = opus_decoder_create(48000, 1, &err);
    OpusDecoder* dec_heard = opus_decoder_create(48000, 1, &err);
    SNDFILE* opus_ref_file = open_wav(dir / "opus-ref.wav", 48000);
    std::vector<int16_t> pa(960), pb(960), opus_batch;
    size_t opus_ref_done = 0;
    auto opus_ref_round = [&](size_t n) {
      const double t0 = cpu_ns();
      for (size_t k = 0; k < n; ++k, ++opus_ref_done) {
        auto& in = opus_said[opus_ref_done % opus_said.size()];
        auto& out = opus_heard[opus_ref_done % opus_heard.size()];
        int na = opus_decode(dec_said, in.data() + 12, int(in.size() - 12), pa.data(), 960, 0);
        int nb = opus_decode(dec_heard, out.data() + 12, int(out.size() - 12), pb.data(), 960, 0);
        if (na != 960 || nb != 960) std::abort();
        for (size_t i = 0; i < 960; ++i) opus_batch.push_back(int16_t(std::clamp(pa[i] + pb[i], -32768, 32767)));
        if (opus_batch.size() >= 11520) {
          sf_writef_short(opus_ref_file, opus_batch.data(), sf_count_t(opus_batch.size()));
          opus_batch.clear();
        }
      }
      return (cpu_ns() - t0) / double(n);
    };
    ZvonRecording pcmu_rec(ulaw, 0, 8000, dir / "pcmu.wav");
    ZvonRecording opus_rec(opus, 96, 48000, dir / "opus.wav");
    size_t pcmu_done = 0, opus_done = 0;
    const size_t rounds = 20, per_round = std::max<size_t>(packets / rounds, 1);
    for (size_t r = 0; r < rounds; ++r) {
      ref_ns = std::min(ref_ns, ref_round(per_round));
      pcmu_ns = std::min(pcmu_ns, zvon_round(pcmu_rec, ulaw_said, ulaw_heard, pcmu_done, per_round));
      opus_ns = std::min(opus_ns, zvon_round(opus_rec, opus_said, opus_heard, opus_done, per_round));
      opus_ref_ns = std::min(opus_ref_ns, opus_ref_round(per_round));
    }
    sf_close(opus_ref_file);
    opus_decoder_destroy(dec_said);
    opus_decoder_destroy(dec_heard);
    sf_close(ref_file);
  }
  std::printf("call seconds recorded per kind  %.0f (20 ms packets, both directions)\n", seconds);
  std::printf("reference: G.711 table + sum + libsndfile  %8.0f ns per 20 ms of call\n", ref_ns);
  std::printf("zvon PCMU call -> 8 kHz WAV                %8.0f ns per 20 ms (%.2fx the reference)\n",
              pcmu_ns, pcmu_ns / ref_ns);
  std::printf("reference: libopus decode x2 + sum + libsndfile %8.0f ns per 20 ms of call\n", opus_ref_ns);
  std::printf("zvon Opus call -> 48 kHz WAV               %8.0f ns per 20 ms (%.2fx the Opus reference)\n",
              opus_ns, opus_ns / opus_ref_ns);
  std::printf("recorded calls per core: PCMU %.0f, Opus %.0f (recording work only)\n", 20e6 / pcmu_ns,
              20e6 / opus_ns);
  return 0;
}
