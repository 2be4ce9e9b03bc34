// Helpers for the media tests: G.711 codecs over the core's tables, a "phone" that is a plain
// UDP socket on 127.0.0.1, a channel whose RtpSession sends to it, RTP packet building, WAV
// writing, and a Goertzel tone detector.
#pragma once
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <memory>
#include <numbers>
#include <optional>
#include <span>
#include <stdexcept>
#include <string_view>
#include <vector>

#include "zvon/channel.h"
#include "zvon/codec.h"
#include "zvon/g711.h"
#include "zvon/module.h"
#include "zvon/rtp.h"

namespace zvon::test {

// PCMU/PCMA as codec_g711 registers them, for sessions in tests that load no modules.
class TestG711 final : public Codec {
 public:
  explicit TestG711(bool ulaw) : ulaw_(ulaw) {}
  std::string_view name() const override { return ulaw_ ? "PCMU" : "PCMA"; }
  int static_payload_type() const override { return ulaw_ ? 0 : 8; }
  int clock_rate() const override { return 8000; }
  std::span<const int> pcm_rates() const override {
    static constexpr int rates[] = {8000};
    return rates;
  }
  std::unique_ptr<CodecEncoder> make_encoder(const CodecSettings&) const override {
    struct E : CodecEncoder {
      bool u;
      explicit E(bool u) : u(u) {}
      size_t encode(std::span<const int16_t> in, std::span<uint8_t> out) override {
        return u ? g711::encode_ulaw(in, out) : g711::encode_alaw(in, out);
      }
    };
    return std::make_unique<E>(ulaw_);
  }
  std::unique_ptr<CodecDecoder> make_decoder(const CodecSettings&) const override {
    struct D : CodecDecoder {
      bool u;
      explicit D(bool u) : u(u) {}
      size_t decode(std::span<const uint8_t> in, std::span<int16_t> out) override {
        return u ? g711::decode_ulaw(in, out) : g711::decode_alaw(in, out);
      }
    };
    return std::make_unique<D>(ulaw_);
  }

 private:
  bool ulaw_;
};

inline Pinned<Codec> pin(Codec& c) { return Pinned<Codec>(&c, ModuleUse{}); }

struct RtpFields {
  int pt = 0;
  bool marker = false;
  uint16_t seq = 0;
  uint32_t ts = 0;
  uint32_t ssrc = 0;
};

inline std::vector<uint8_t> make_rtp(const RtpFields& f, std::span<const uint8_t> payload) {
  std::vector<uint8_t> p(12);
  p[0] = 0x80;
  p[1] = uint8_t((f.marker ? 0x80 : 0) | f.pt);
  p[2] = uint8_t(f.seq >> 8);
  p[3] = uint8_t(f.seq);
  for (int i = 0; i < 4; ++i) p[4 + i] = uint8_t(f.ts >> (24 - 8 * i));
  for (int i = 0; i < 4; ++i) p[8 + i] = uint8_t(f.ssrc >> (24 - 8 * i));
  p.insert(p.end(), payload.begin(), payload.end());
  return p;
}

// A UDP socket on 127.0.0.1 standing in for a phone's RTP port.
class UdpPhone {
 public:
  UdpPhone() {
    fd_ = ::socket(AF_INET, SOCK_DGRAM, 0);
    if (fd_ < 0) throw std::runtime_error("socket");
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) throw std::runtime_error("bind");
    socklen_t len = sizeof a;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
    ::fcntl(fd_, F_SETFL, O_NONBLOCK);
  }
  ~UdpPhone() { ::close(fd_); }
  UdpPhone(const UdpPhone&) = delete;
  UdpPhone& operator=(const UdpPhone&) = delete;

  uint16_t port() const { return port_; }

  void send_to(uint16_t port, std::span<const uint8_t> data) const {
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons(port);
    ::sendto(fd_, data.data(), data.size(), 0, reinterpret_cast<sockaddr*>(&a), sizeof a);
  }

  struct Datagram {
    std::vector<uint8_t> data;
    uint16_t from_port = 0;
  };
  // One datagram if any arrives within `wait`.
  std::optional<Datagram> receive(std::chrono::milliseconds wait = std::chrono::milliseconds(0)) const {
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, int(wait.count())) <= 0) return std::nullopt;
    Datagram d;
    d.data.resize(2048);
    sockaddr_in from{};
    socklen_t len = sizeof from;
    ssize_t n = ::recvfrom(fd_, d.data.data(), d.data.size(), 0, reinterpret_cast<sockaddr*>(&from), &len);
    if (n < 0) return std::nullopt;
    d.data.resize(size_t(n));
    d.from_port = ntohs(from.sin_port);
    return d;
  }

 private:
  int fd_ = -1;
  uint16_t port_ = 0;
};

inline std::vector<int16_t> sine(double freq, int rate, size_t n, double amplitude = 0.5) {
  std::vector<int16_t> s(n);
  for (size_t i = 0; i < n; ++i)
    s[i] = int16_t(std::lround(amplitude * 32767 * std::sin(2 * std::numbers::pi * freq * double(i) / rate)));
  return s;
}

// Power of `freq` in `x` relative to the signal's total power (1.0: a pure tone at freq).
inline double tone_fraction(std::span<const int16_t> x, double freq, int rate) {
  if (x.empty()) return 0;
  const double w = 2 * std::numbers::pi * freq / rate;
  const double coeff = 2 * std::cos(w);
  double s1 = 0, s2 = 0, energy = 0;
  for (int16_t v : x) {
    double s0 = v + coeff * s1 - s2;
    s2 = s1;
    s1 = s0;
    energy += double(v) * v;
  }
  double power = s1 * s1 + s2 * s2 - coeff * s1 * s2;  // |X(freq)|^2
  if (energy == 0) return 0;
  return 2 * power / (double(x.size()) * energy);
}

// Writes `samples` as a 16-bit mono PCM WAV at `rate`.
inline void write_wav(const std::filesystem::path& path, std::span<const int16_t> samples, int rate) {
  std::filesystem::create_directories(path.parent_path());
  std::ofstream f(path, std::ios::binary);
  auto u32 = [&](uint32_t v) { f.write(reinterpret_cast<const char*>(&v), 4); };
  auto u16 = [&](uint16_t v) { f.write(reinterpret_cast<const char*>(&v), 2); };
  uint32_t data_bytes = uint32_t(samples.size() * 2);
  f.write("RIFF", 4); u32(36 + data_bytes); f.write("WAVE", 4);
  f.write("fmt ", 4); u32(16); u16(1); u16(1); u32(uint32_t(rate)); u32(uint32_t(rate * 2)); u16(2); u16(16);
  f.write("data", 4); u32(data_bytes);
  f.write(reinterpret_cast<const char*>(samples.data()), std::streamsize(data_bytes));
}

// A channel driver whose media is an RtpSession (none while `has_media` is false).
struct RtpDriver final : ChannelDriver {
  std::unique_ptr<RtpSession> rtp;
  bool has_media = true;
  void call() override {}
  void ring() override {}
  void progress() override {}
  void answer() override {}
  void hangup(HangupCause) override {}
  MediaEndpoint* media() override { return has_media ? rtp.get() : nullptr; }
};

// An inbound channel from `peer` whose RtpSession sends `codec` (payload type `pt`,
// telephone-event `event_pt`, -1 for none) to a phone at 127.0.0.1:`phone_port`. The loop's
// thread.
inline std::shared_ptr<Channel> rtp_channel(Core& core, Loop& loop, std::string_view peer, Codec& codec, int pt,
                                            int event_pt, uint16_t phone_port) {
  auto ch = Channel::create(core, loop, "TEST", peer, Direction::Inbound, {});
  auto d = std::make_unique<RtpDriver>();
  auto rtp = RtpSession::open(loop, "127.0.0.1", {32000, 42000});
  if (!rtp) throw std::runtime_error(rtp.message());
  d->rtp = std::move(rtp.value());
  d->rtp->set_codec(pin(codec), pt, event_pt);
  if (auto remote = d->rtp->set_remote("127.0.0.1", phone_port); !remote) throw std::runtime_error(remote.message());
  ch->set_driver(std::move(d));
  return ch;
}

}  // namespace zvon::test
