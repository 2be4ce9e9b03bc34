// RFC 3550 reception statistics: sequence numbers (loss, wrap) and the jitter estimator.
#include <catch2/catch.hpp>

#include <cmath>

#include "media/rtp_receive_stats.h"

using namespace zvon;

namespace {
constexpr uint32_t kRate = 8000;
constexpr uint64_t kFrameUs = 20000;  // 20 ms
constexpr uint32_t kFrameTs = 160;
}  // namespace

TEST_CASE("rtp stats: a steady stream has no loss and no jitter", "[rtp][stats]") {
  RtpReceiveStats s;
  for (uint32_t i = 0; i < 100; ++i) s.on_packet(uint16_t(1000 + i), 5000 + i * kFrameTs, 7'000'000 + i * kFrameUs, kRate);
  CHECK(s.received() == 100);
  CHECK(s.expected() == 100);
  CHECK(s.lost() == 0);
  CHECK(s.jitter_units() == Approx(0).margin(1e-9));
}

TEST_CASE("rtp stats: loss counts the gaps, across a sequence wrap", "[rtp][stats]") {
  RtpReceiveStats s;
  uint64_t t = 1'000'000;
  uint32_t ts = 0;
  int sent = 0;
  for (uint32_t i = 0; i < 200; ++i, t += kFrameUs, ts += kFrameTs) {
    uint16_t seq = uint16_t(65500 + i);  // wraps after 36 packets
    if (i % 10 == 3) continue;           // every tenth packet lost
    s.on_packet(seq, ts, t, kRate);
    ++sent;
  }
  CHECK(s.received() == uint64_t(sent));
  CHECK(s.expected() == 200);
  CHECK(s.lost() == 20);
}

TEST_CASE("rtp stats: reordered and duplicate packets do not move the highest number", "[rtp][stats]") {
  RtpReceiveStats s;
  s.on_packet(10, 0, 0, kRate);
  s.on_packet(12, 320, 40000, kRate);
  s.on_packet(11, 160, 41000, kRate);  // late
  s.on_packet(12, 320, 42000, kRate);  // duplicate
  CHECK(s.expected() == 3);
  CHECK(s.received() == 4);
  CHECK(s.lost() == -1);  // RFC 3550: duplicates may make the count negative
}

TEST_CASE("rtp stats: jitter converges on the mean deviation of the transit time", "[rtp][stats]") {
  // Packets alternately 0 and 4 ms late: every transit difference is 4 ms = 32 units, so J
  // tends to 32 (J += (|D| - J) / 16).
  RtpReceiveStats s;
  for (uint32_t i = 0; i < 400; ++i) {
    uint64_t late = (i % 2) ? 4000 : 0;
    s.on_packet(uint16_t(i), i * kFrameTs, 2'000'000 + i * kFrameUs + late, kRate);
  }
  CHECK(s.jitter_units() == Approx(32).epsilon(0.01));
  CHECK(s.jitter_ms() == Approx(4.0).epsilon(0.01));

  // One step of the estimator exactly: from J = 0, a 16-unit deviation gives J = 1.
  RtpReceiveStats one;
  one.on_packet(0, 0, 0, kRate);
  one.on_packet(1, 160, 20000 + 2000, kRate);  // 2 ms late = 16 units
  CHECK(one.jitter_units() == Approx(1.0));
}

TEST_CASE("rtp stats: timestamps wrapping past 2^32 give no false jitter", "[rtp][stats]") {
  RtpReceiveStats s;
  uint32_t ts = 0xffffffffu - 800;
  for (uint32_t i = 0; i < 50; ++i, ts += kFrameTs) s.on_packet(uint16_t(i), ts, 9'000'000 + i * kFrameUs, kRate);
  CHECK(s.jitter_units() == Approx(0).margin(1e-9));
  CHECK(s.lost() == 0);
}

TEST_CASE("rtp stats: the MOS estimate falls with loss and jitter", "[rtp][stats]") {
  double clean = mos_estimate(0, 0);
  CHECK(clean > 4.3);
  CHECK(clean <= 4.5);
  CHECK(mos_estimate(5, 0) < clean);
  CHECK(mos_estimate(0, 100) < clean);
  CHECK(mos_estimate(20, 200) < 2.6);
  CHECK(mos_estimate(100, 1000) == Approx(1.0));
  CHECK(mos_estimate(-3, -1) == Approx(clean));  // nonsense in, the best case out
}
