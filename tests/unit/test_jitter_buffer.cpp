// The adaptive jitter buffer on simulated networks: each packet carries its number in the
// audio, so the played frames show what came out in which order, and what was concealed.
#include <catch2/catch.hpp>

#include <algorithm>
#include <map>
#include <random>
#include <vector>

#include "zvon/jitter_buffer.h"

using namespace zvon;

namespace {

constexpr int kFrame = 160;  // 20 ms at 8 kHz
constexpr int16_t kConcealed = -1;
constexpr int16_t kRecovered = -2;  // concealed with the next packet's data (FEC)
constexpr int16_t kLoud = 8000;     // the samples after the first

// Payloads are the packet's number (two bytes) padded to 20 ms. The first decoded sample is
// that number, so a frame says which packet it came from; the rest is loud, except for
// number 0, which decodes to silence.
class NumberDecoder final : public CodecDecoder {
 public:
  size_t decode(std::span<const uint8_t> payload, std::span<int16_t> out) override {
    const size_t n = std::min(out.size(), payload.size());
    const int16_t number = int16_t(payload[0] << 8 | payload[1]);
    std::fill_n(out.begin(), n, number == 0 ? int16_t(0) : kLoud);
    out[0] = number;
    return n;
  }
  size_t conceal(std::span<const uint8_t> next, std::span<int16_t> out) override {
    std::fill(out.begin(), out.end(), next.empty() ? kConcealed : kRecovered);
    return out.size();
  }
};

struct Sent {
  int number;         // what the audio says
  uint16_t seq;
  uint32_t ts;
  uint64_t arrival_ms;
  uint32_t ssrc = 0x1234;
  bool marker = false;
};

// Runs the packets through a buffer with a 20 ms playout clock until `until_ms`; the first
// sample of each frame played.
struct Run {
  JitterBufferSettings settings;
  NumberDecoder decoder;
  JitterBuffer jb{settings, decoder, 8000, 8000};
  std::vector<int16_t> played;  // the first sample of each frame
  std::vector<int> targets;     // the target after each frame

  explicit Run(JitterBufferSettings s = {}) : settings(s), jb(settings, decoder, 8000, 8000) {}

  void go(std::vector<Sent> packets, uint64_t until_ms) {
    std::stable_sort(packets.begin(), packets.end(),
                     [](const Sent& a, const Sent& b) { return a.arrival_ms < b.arrival_ms; });
    size_t next = 0;
    std::vector<uint8_t> payload(kFrame);
    std::vector<int16_t> frame(kFrame);
    for (uint64_t t = 0; t <= until_ms; ++t) {
      while (next < packets.size() && packets[next].arrival_ms <= t) {
        const Sent& p = packets[next++];
        payload[0] = uint8_t(p.number >> 8);
        payload[1] = uint8_t(p.number);
        jb.put(p.ssrc, p.seq, p.ts, p.marker, payload, t);
      }
      if (t % 20 == 0 && t >= 20) {
        jb.get(t, frame);
        played.push_back(frame[0]);
        targets.push_back(jb.stats().target_ms);
      }
    }
  }
  // The packet numbers played, in order, without concealment and silence.
  std::vector<int> numbers() const {
    std::vector<int> out;
    for (int16_t s : played)
      if (s > 0 && s != kLoud) out.push_back(s);
    return out;
  }
  size_t count(int16_t value) const { return size_t(std::count(played.begin(), played.end(), value)); }
};

// A steady stream of `n` packets numbered from 1, sent every 20 ms from `start_ms`, each
// delayed by `delay(i)` ms.
template <class Delay>
std::vector<Sent> stream(int n, uint64_t start_ms, Delay delay, uint16_t seq0 = 1000, uint32_t ts0 = 5000,
                         double period_ms = 20.0) {
  std::vector<Sent> out;
  for (int i = 0; i < n; ++i)
    out.push_back({i + 1, uint16_t(seq0 + i), uint32_t(ts0 + uint32_t(i) * kFrame),
                   start_ms + uint64_t(i * period_ms) + uint64_t(delay(i))});
  return out;
}

std::vector<int> one_to(int n) {
  std::vector<int> v(static_cast<size_t>(n));
  for (int i = 0; i < n; ++i) v[size_t(i)] = i + 1;
  return v;
}

}  // namespace

TEST_CASE("jitter buffer: a clean stream plays in order at the minimum delay", "[jitter]") {
  Run r;
  r.go(stream(100, 10, [](int) { return 0; }), 2200);
  CHECK(r.numbers() == one_to(100));
  CHECK(r.jb.stats().lost == 0);
  CHECK(r.jb.stats().late == 0);
  // Nothing concealed while the stream ran (after its end, 60 ms are, in case it goes on).
  auto last = std::find(r.played.begin(), r.played.end(), int16_t(100));
  CHECK(std::count(r.played.begin(), last, kConcealed) == 0);
  CHECK(r.jb.stats().concealed <= 3);
  CHECK(r.targets[50] == JitterBufferSettings{}.min_ms);
  CHECK(r.jb.idle());
}

TEST_CASE("jitter buffer: reordered packets are put back in order", "[jitter]") {
  // Every pair swapped: the even packet arrives 5 ms before the odd one before it.
  Run r;
  auto packets = stream(100, 10, [](int i) { return i % 2 == 0 ? 25 : 0; });
  r.go(packets, 2400);
  CHECK(r.numbers() == one_to(100));
  CHECK(r.jb.stats().reordered >= 45);
  CHECK(r.jb.stats().lost == 0);
  CHECK(r.jb.stats().late <= 1);  // the first swap may come before the delay has grown
}

TEST_CASE("jitter buffer: a lost packet is concealed, the last of a gap from the next one's FEC", "[jitter]") {
  Run r;
  auto packets = stream(60, 10, [](int) { return 0; });
  packets.erase(packets.begin() + 20, packets.begin() + 23);  // numbers 21, 22, 23
  r.go(packets, 1500);
  auto n = r.numbers();
  CHECK(n.size() == 57);
  CHECK(std::find(n.begin(), n.end(), 21) == n.end());
  CHECK(r.jb.stats().lost == 3);
  CHECK(r.count(kRecovered) == 1);
  // Where they were: 20, then two concealed, the recovered one, then 24.
  auto at = std::find(r.played.begin(), r.played.end(), int16_t(20));
  REQUIRE(r.played.end() - at > 4);
  CHECK(std::vector<int16_t>(at, at + 5) == std::vector<int16_t>{20, kConcealed, kConcealed, kRecovered, 24});
}

TEST_CASE("jitter buffer: duplicates are dropped", "[jitter]") {
  Run r;
  auto packets = stream(50, 10, [](int) { return 0; });
  auto again = stream(50, 10, [](int) { return 7; });
  packets.insert(packets.end(), again.begin(), again.end());
  r.go(packets, 1300);
  CHECK(r.numbers() == one_to(50));
  CHECK(r.jb.stats().duplicates == 50);
}

TEST_CASE("jitter buffer: a burst after a stall makes the delay grow, and the next burst plays whole",
          "[jitter]") {
  // Twice, the network holds packets for 120 ms and then delivers them together.
  Run r;
  auto stall = [](int i) {
    int phase = i % 150;
    return (i >= 50 && phase >= 50 && phase < 56) ? (56 - phase) * 20 : 0;
  };
  r.go(stream(300, 10, stall), 6500);
  const auto& s = r.jb.stats();
  CHECK(s.late > 0);               // the first burst came before the buffer had grown
  CHECK(s.target_ms >= 100);       // then the delay follows
  CHECK(s.target_ms <= JitterBufferSettings{}.max_ms);
  CHECK(s.grown > 0);
  // The second burst (packets 201-206) is absorbed: nothing of it is missing.
  auto n = r.numbers();
  for (int k = 200; k <= 210; ++k) CHECK(std::find(n.begin(), n.end(), k) != n.end());
}

TEST_CASE("jitter buffer: the delay grows under jitter and shrinks back when it is gone", "[jitter]") {
  std::mt19937 rng(7);
  std::uniform_int_distribution<int> spread(0, 80);
  std::vector<int> delays(2000);
  for (int i = 0; i < 2000; ++i) delays[size_t(i)] = i < 500 ? spread(rng) : 0;  // 10 s of jitter, then 30 s calm
  // Silence between talk spurts every 2 s (as a sender with DTX makes) lets it shrink there.
  auto packets = stream(2000, 10, [&](int i) { return delays[size_t(i)]; });
  std::vector<Sent> spurts;
  for (auto& p : packets)
    if ((p.number - 1) % 100 < 80) {
      p.marker = (p.number - 1) % 100 == 0;
      spurts.push_back(p);
    }
  Run r;
  r.go(spurts, 41000);
  const int during = r.targets[480];
  const int after = r.targets.back();
  CHECK(during >= 70);
  CHECK(during <= 200);
  CHECK(after <= 30);
  CHECK(r.jb.stats().delay_ms <= after + 20);
  // Under jitter, few packets came too late once the delay had adapted (the first second aside).
  CHECK(r.jb.stats().late < 15);
}

TEST_CASE("jitter buffer: a continuous stream also shrinks, on quiet frames", "[jitter]") {
  // Packets 1..200 jittered, then 1000 quiet ones (number 0 decodes to silence).
  Run r;
  std::mt19937 rng(3);
  std::uniform_int_distribution<int> spread(0, 80);
  auto packets = stream(1200, 10, [&](int i) { return i < 200 ? spread(rng) : 0; });
  for (auto& p : packets)
    if (p.number > 200) p.number = 0;
  r.go(packets, 25000);
  CHECK(r.targets[190] >= 70);
  CHECK(r.jb.stats().shrunk > 0);
  CHECK(r.jb.stats().delay_ms <= 50);
}

TEST_CASE("jitter buffer: clock drift either way keeps the delay bounded", "[jitter]") {
  for (double period : {19.8, 20.2}) {  // the sender 1 % fast, then 1 % slow
    Run r;
    r.go(stream(3000, 10, [](int) { return 0; }, 1000, 5000, period), 61000);
    const auto& s = r.jb.stats();
    INFO("period " << period);
    CHECK(s.delay_ms <= JitterBufferSettings{}.max_ms);
    CHECK(s.delay_ms >= 0);
    CHECK(s.resyncs == 0);
    if (period < 20) CHECK(s.shrunk > 0);
    if (period > 20) CHECK(s.grown > 0);
    CHECK(r.numbers().size() > 2900);
  }
}

TEST_CASE("jitter buffer: sequence numbers and timestamps wrap", "[jitter]") {
  Run r;
  auto packets = stream(100, 10, [](int i) { return i % 3 == 0 ? 15 : 0; }, 65500, 0xffffffffu - 40 * kFrame);
  r.go(packets, 2300);
  CHECK(r.numbers() == one_to(100));
  CHECK(r.jb.stats().lost == 0);
  CHECK(r.jb.stats().resyncs == 0);
  CHECK(r.jb.stats().late == 0);

}

TEST_CASE("jitter buffer: a new SSRC or a timestamp jump starts over", "[jitter]") {
  Run r;
  auto first = stream(50, 10, [](int) { return 0; });
  auto second = stream(50, 1010, [](int) { return 0; }, 7, 900000);
  for (auto& p : second) {
    p.number += 50;
    p.ssrc = 0x9999;
  }
  auto third = stream(50, 2010, [](int) { return 0; }, 57, 900000 + 50 * kFrame + 8000 * 60);
  for (auto& p : third) {
    p.number += 100;
    p.ssrc = 0x9999;
  }
  std::vector<Sent> all = first;
  all.insert(all.end(), second.begin(), second.end());
  all.insert(all.end(), third.begin(), third.end());
  r.go(all, 3200);
  // Each new stream plays whole and in order; of the old one, what was still buffered when
  // the new one came (its last packet) is given up.
  auto n = r.numbers();
  std::vector<int> expected;
  for (int i = 1; i <= 150; ++i)
    if (std::find(n.begin(), n.end(), i) != n.end() || (i != 50 && i != 100)) expected.push_back(i);
  CHECK(n == expected);
  CHECK(n.size() >= 148);
  CHECK(r.jb.stats().resyncs == 2);
}

TEST_CASE("jitter buffer: the delay stays within jbminsize and jbmaxsize", "[jitter]") {
  JitterBufferSettings s;
  s.min_ms = 60;
  s.max_ms = 100;
  Run r(s);
  std::mt19937 rng(11);
  std::uniform_int_distribution<int> spread(0, 300);
  r.go(stream(500, 10, [&](int) { return spread(rng); }), 10500);
  for (int t : r.targets) {
    CHECK(t >= 60);
    CHECK(t <= 100);
  }
  CHECK(r.jb.stats().late > 0);  // beyond the maximum, late packets are given up
}

TEST_CASE("jitter buffer: packets longer than 20 ms play out in 20 ms frames", "[jitter]") {
  // 60 ms packets: the payload decodes to 480 samples.
  NumberDecoder d;
  JitterBufferSettings settings;
  JitterBuffer jb(settings, d, 8000, 8000);
  std::vector<uint8_t> payload(480);
  std::vector<int16_t> frame(kFrame), played;
  for (int i = 0; i < 20; ++i) {
    payload[0] = 0;
    payload[1] = uint8_t(i + 1);
    jb.put(1, uint16_t(i), uint32_t(i * 480), false, payload, uint64_t(i * 60));
    for (int k = 0; k < 3; ++k) {
      jb.get(uint64_t(i * 60 + k * 20), frame);
      played.push_back(frame[0]);
    }
  }
  // Each packet starts one frame (its number), the next two frames are the rest of it.
  std::vector<int16_t> starts;
  size_t audio = 0;
  for (int16_t s : played) {
    if (s > 0 && s != kLoud) starts.push_back(s);
    if (s > 0) ++audio;
  }
  CHECK(starts.size() >= 19);
  for (size_t i = 1; i < starts.size(); ++i) CHECK(starts[i] == starts[i - 1] + 1);
  CHECK(audio >= 57);
  CHECK(jb.stats().lost == 0);
}
