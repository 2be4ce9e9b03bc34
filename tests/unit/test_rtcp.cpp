// RTCP compound reports: what we build parses back, and garbage never reads past its end.
#include <catch2/catch.hpp>

#include <array>
#include <vector>

#include "media/rtcp.h"

using namespace zvon;

TEST_CASE("rtcp: a sender report with a block and CNAME round-trips", "[rtcp]") {
  std::array<uint8_t, 256> buf{};
  RtcpSenderInfo s{.ntp = 0x0123456789abcdefull, .rtp_timestamp = 160000, .packets = 500, .octets = 80000};
  RtcpReportBlock b{.ssrc = 0xfeedbeef, .fraction_lost = 25, .cumulative_lost = -3, .highest_seq = 0x10005,
                    .jitter = 42, .lsr = 0x11223344, .dlsr = 65536};
  size_t n = build_rtcp_report(buf, 0xabcdef01, s, b, "zvon-abcdef01@127.0.0.1");
  REQUIRE(n > 0);
  CHECK(n % 4 == 0);
  CHECK(buf[1] == 200);  // SR
  auto r = parse_rtcp(std::span(buf.data(), n), 0xfeedbeef);
  REQUIRE(r.valid);
  CHECK(*r.sender_ssrc == 0xabcdef01);
  REQUIRE(r.sender);
  CHECK(r.sender->ntp == s.ntp);
  CHECK(r.sender->packets == 500);
  CHECK(r.sender->octets == 80000);
  REQUIRE(r.about);
  CHECK(r.about->fraction_lost == 25);
  CHECK(r.about->cumulative_lost == -3);
  CHECK(r.about->highest_seq == 0x10005);
  CHECK(r.about->jitter == 42);
  CHECK(r.about->lsr == 0x11223344);
  CHECK(r.about->dlsr == 65536);
  // A block about another stream is not about us.
  CHECK_FALSE(parse_rtcp(std::span(buf.data(), n), 0x1).about);
}

TEST_CASE("rtcp: a receiver report without blocks still carries the CNAME", "[rtcp]") {
  std::array<uint8_t, 64> buf{};
  size_t n = build_rtcp_report(buf, 7, std::nullopt, std::nullopt, "x@h");
  REQUIRE(n == 8 + 16);  // RR header; SDES header, SSRC, CNAME item "x@h", END, padding
  CHECK(buf[1] == 201);
  auto r = parse_rtcp(std::span(buf.data(), n), 7);
  CHECK(r.valid);
  CHECK_FALSE(r.sender);
  CHECK_FALSE(r.about);
  std::array<uint8_t, 10> tiny{};
  CHECK(build_rtcp_report(tiny, 7, std::nullopt, std::nullopt, "x@h") == 0);
}

TEST_CASE("rtcp: malformed compounds are refused", "[rtcp]") {
  std::array<uint8_t, 256> buf{};
  size_t n = build_rtcp_report(buf, 1, RtcpSenderInfo{}, RtcpReportBlock{.ssrc = 2}, "c");
  // Cut anywhere but between its two packets (an SR alone is a compound too), it is refused.
  const size_t first = (size_t(buf[2]) << 8 | buf[3]) * 4 + 4;
  for (size_t cut = 0; cut < n; ++cut)
    if (cut != first) CHECK_FALSE(parse_rtcp(std::span(buf.data(), cut), 2).valid);
  CHECK(parse_rtcp(std::span(buf.data(), first), 2).valid);
  auto bad = buf;
  bad[0] = 0x40;  // version 1
  CHECK_FALSE(parse_rtcp(std::span(bad.data(), n), 2).valid);
  bad = buf;
  bad[0] = 0x80 | 31;  // claims 31 blocks
  CHECK_FALSE(parse_rtcp(std::span(bad.data(), n), 2).valid);
  bad = buf;
  bad[1] = 202;  // SDES first
  CHECK_FALSE(parse_rtcp(std::span(bad.data(), n), 2).valid);
  std::vector<uint8_t> junk(300);
  for (size_t i = 0; i < junk.size(); ++i) junk[i] = uint8_t(i * 91 + 7);
  CHECK_FALSE(parse_rtcp(junk, 2).valid);
}

TEST_CASE("rtcp: the NTP clock is after 2020 and moves forward", "[rtcp]") {
  uint64_t a = ntp_now();
  CHECK((a >> 32) > 3786825600ull);  // 2020-01-01 in NTP seconds
  uint64_t b = ntp_now();
  CHECK(b >= a);
}
