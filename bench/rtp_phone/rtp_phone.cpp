// zvon-bench-rtp-phone: the called phones' media in the media benchmark (bench/run.sh --media).
//
//   zvon-bench-rtp-phone --codec opus|pcmu --pt N --first-port P --lines N --seconds S
//
// Binds N RTP endpoints on 127.0.0.1, ports P, P+2, ... (the sipp callee puts them in its SDP
// answers, one per call). Each endpoint answers like a phone: once audio arrives from zvon it
// streams its own audio back to the address it came from, one 20 ms packet per tick, in PCMU or
// in Opus (libopus at 8 kHz, set up as codec_opus sets up its encoder), and stops when zvon has
// been silent for a second (the call ended). It reads and counts everything it receives; in
// Opus, the packets of the first endpoint are also decoded, so the benchmark knows zvon sent
// real Opus audio.
//
// sipp cannot send Opus (its rtp_stream plays G.711, G.722, G.729 and iLBC files; its pcap play
// opens a raw socket per call, and on Linux every raw UDP socket bound to 127.0.0.1 gets a copy of
// every UDP datagram on loopback, which would charge N copies of each of zvon's packets to
// zvon's own sendmsg). Hence this small phone.
//
// Every second it prints one line of running totals, read by bench/zvonbench/rtp_phone.py:
//   t=<s> rx=<packets> tx=<packets> active=<endpoints streaming> bad=<not RTP or wrong payload
//   type> late_ticks=<ticks it could not keep> decoded=<frames> decode_errors=<frames>
// Bounded: it exits after --seconds, or at SIGTERM/SIGINT.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <errno.h>
#include <opus.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <array>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "../common/speech_like_signal.h"
#include "zvon/g711.h"

namespace {

constexpr int kRate = 8000;
constexpr size_t kFrame = 160;  // 20 ms at 8 kHz
constexpr size_t kFrames = 500;  // 10 s of audio, sent round and round
constexpr uint64_t kTickNs = 20'000'000;
constexpr uint64_t kSilentMs = 1000;
constexpr size_t kBatch = 16;

volatile std::sig_atomic_t g_stop = 0;

uint64_t now_ns() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return uint64_t(ts.tv_sec) * 1'000'000'000 + uint64_t(ts.tv_nsec);
}

struct Options {
  std::string codec = "opus";
  int pt = 96;
  int first_port = 0;
  int lines = 0;
  double seconds = 0;
};

bool parse(int argc, char** argv, Options& o) {
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string_view k = argv[i];
    const char* v = argv[i + 1];
    if (k == "--codec") o.codec = v;
    else if (k == "--pt") o.pt = std::atoi(v);
    else if (k == "--first-port") o.first_port = std::atoi(v);
    else if (k == "--lines") o.lines = std::atoi(v);
    else if (k == "--seconds") o.seconds = std::atof(v);
    else return false;
  }
  return (o.codec == "opus" || o.codec == "pcmu") && o.pt >= 0 && o.pt < 128 && o.first_port > 0 &&
         o.lines > 0 && o.first_port + 2 * o.lines < 65536 && o.seconds > 0;
}

struct OpusEncoderFree {
  void operator()(OpusEncoder* e) const { opus_encoder_destroy(e); }
};
struct OpusDecoderFree {
  void operator()(OpusDecoder* d) const { opus_decoder_destroy(d); }
};

// The payloads every endpoint sends, coded once before the calls start.
std::vector<std::vector<uint8_t>> code_frames(const std::string& codec) {
  const auto pcm = zvon::bench::speech_like_signal(kFrame * kFrames, kRate);
  std::vector<std::vector<uint8_t>> out;
  if (codec == "pcmu") {
    for (size_t f = 0; f < kFrames; ++f) {
      std::vector<uint8_t> coded(kFrame);
      zvon::g711::encode_ulaw(std::span(pcm).subspan(f * kFrame, kFrame), coded);
      out.push_back(std::move(coded));
    }
    return out;
  }
  int err = 0;
  std::unique_ptr<OpusEncoder, OpusEncoderFree> enc(opus_encoder_create(kRate, 1, OPUS_APPLICATION_VOIP, &err));
  if (!enc) return out;
  opus_encoder_ctl(enc.get(), OPUS_SET_SIGNAL(OPUS_SIGNAL_VOICE));
  opus_encoder_ctl(enc.get(), OPUS_SET_BITRATE(24000));
  for (size_t f = 0; f < kFrames; ++f) {
    std::vector<uint8_t> coded(1275);
    int n = opus_encode(enc.get(), pcm.data() + f * kFrame, int(kFrame), coded.data(), int(coded.size()));
    if (n <= 0) return {};
    coded.resize(size_t(n));
    out.push_back(std::move(coded));
  }
  return out;
}

struct Line {
  int fd = -1;
  sockaddr_in peer{};
  bool have_peer = false;
  uint64_t last_rx_ns = 0;
  uint16_t seq = 0;
  uint32_t ts = 0;
  uint32_t ssrc = 0;
  size_t frame = 0;
};

struct Totals {
  unsigned long long rx = 0, tx = 0, bad = 0, late_ticks = 0, decoded = 0, decode_errors = 0;
};

}  // namespace

int main(int argc, char** argv) {
  Options o;
  if (!parse(argc, argv, o)) {
    std::fprintf(stderr, "usage: %s --codec opus|pcmu --pt N --first-port P --lines N --seconds S\n", argv[0]);
    return 2;
  }
  const auto frames = code_frames(o.codec);
  if (frames.empty()) {
    std::fprintf(stderr, "rtp-phone: could not code the audio\n");
    return 1;
  }
  const bool opus = o.codec == "opus";
  const uint32_t ts_step = opus ? 960 : uint32_t(kFrame);  // Opus's RTP clock is 48 kHz

  std::vector<Line> lines(size_t(o.lines));
  for (int i = 0; i < o.lines; ++i) {
    Line& l = lines[size_t(i)];
    l.fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(uint16_t(o.first_port + 2 * i));
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (l.fd < 0 || bind(l.fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
      std::fprintf(stderr, "rtp-phone: cannot bind 127.0.0.1:%d: %s\n", o.first_port + 2 * i, std::strerror(errno));
      return 1;
    }
    l.ssrc = 0x5a000000u + uint32_t(i);
  }
  std::signal(SIGTERM, [](int) { g_stop = 1; });
  std::signal(SIGINT, [](int) { g_stop = 1; });

  int err = 0;
  std::unique_ptr<OpusDecoder, OpusDecoderFree> check_dec(opus ? opus_decoder_create(kRate, 1, &err) : nullptr);
  std::array<std::array<uint8_t, 1500>, kBatch> bufs{};
  std::array<iovec, kBatch> iov{};
  std::array<sockaddr_in, kBatch> from{};
  std::array<mmsghdr, kBatch> msgs{};
  std::array<int16_t, 960> pcm{};
  std::array<uint8_t, 12 + 1500> out{};
  Totals t;

  const uint64_t start = now_ns();
  const uint64_t end = start + uint64_t(o.seconds * 1e9);
  uint64_t next_tick = start + kTickNs;
  uint64_t next_report = start + 1'000'000'000;
  int active = 0;
  while (!g_stop && now_ns() < end) {
    const uint64_t now = now_ns();
    active = 0;
    for (size_t li = 0; li < lines.size(); ++li) {
      Line& l = lines[li];
      for (;;) {  // what arrived since the last tick
        for (size_t k = 0; k < kBatch; ++k) {
          iov[k] = {bufs[k].data(), bufs[k].size()};
          msgs[k] = {};
          msgs[k].msg_hdr.msg_iov = &iov[k];
          msgs[k].msg_hdr.msg_iovlen = 1;
          msgs[k].msg_hdr.msg_name = &from[k];
          msgs[k].msg_hdr.msg_namelen = sizeof from[k];
        }
        int n = recvmmsg(l.fd, msgs.data(), unsigned(kBatch), MSG_DONTWAIT, nullptr);
        if (n <= 0) break;
        for (int k = 0; k < n; ++k) {
          const uint8_t* p = bufs[size_t(k)].data();
          size_t len = msgs[size_t(k)].msg_len;
          if (len < 12 || (p[0] >> 6) != 2 || (p[1] & 0x7f) != o.pt) {
            ++t.bad;
            continue;
          }
          ++t.rx;
          l.peer = from[size_t(k)];
          l.have_peer = true;
          l.last_rx_ns = now;
          if (li == 0 && check_dec) {
            int got = opus_decode(check_dec.get(), p + 12, int(len - 12), pcm.data(), int(pcm.size()), 0);
            if (got == int(kFrame)) ++t.decoded;
            else ++t.decode_errors;
          }
        }
        if (size_t(n) < kBatch) break;
      }
      if (!l.have_peer || now - l.last_rx_ns > kSilentMs * 1'000'000) continue;
      ++active;
      const auto& payload = frames[l.frame++ % frames.size()];
      out[0] = 0x80;
      out[1] = uint8_t(o.pt);
      out[2] = uint8_t(l.seq >> 8);
      out[3] = uint8_t(l.seq);
      for (int b = 0; b < 4; ++b) out[size_t(4 + b)] = uint8_t(l.ts >> (24 - 8 * b));
      for (int b = 0; b < 4; ++b) out[size_t(8 + b)] = uint8_t(l.ssrc >> (24 - 8 * b));
      std::memcpy(out.data() + 12, payload.data(), payload.size());
      if (sendto(l.fd, out.data(), 12 + payload.size(), MSG_DONTWAIT, reinterpret_cast<sockaddr*>(&l.peer),
                 sizeof l.peer) > 0)
        ++t.tx;
      ++l.seq;
      l.ts += ts_step;
    }
    if (now_ns() >= next_report) {
      std::printf("t=%.1f rx=%llu tx=%llu active=%d bad=%llu late_ticks=%llu decoded=%llu decode_errors=%llu\n",
                  double(now_ns() - start) / 1e9, t.rx, t.tx, active, t.bad, t.late_ticks, t.decoded,
                  t.decode_errors);
      std::fflush(stdout);
      next_report += 1'000'000'000;
    }
    // The next tick; one that has already passed by more than a tick is skipped and counted, so
    // a phone that cannot keep up says so instead of sending bursts.
    next_tick += kTickNs;
    if (now_ns() > next_tick + kTickNs) {
      ++t.late_ticks;
      next_tick = now_ns() + kTickNs;
    }
    timespec ts{time_t(next_tick / 1'000'000'000), long(next_tick % 1'000'000'000)};
    clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, nullptr);
  }
  std::printf("t=%.1f rx=%llu tx=%llu active=%d bad=%llu late_ticks=%llu decoded=%llu decode_errors=%llu\n",
              double(now_ns() - start) / 1e9, t.rx, t.tx, active, t.bad, t.late_ticks, t.decoded, t.decode_errors);
  for (auto& l : lines) close(l.fd);
  return 0;
}
