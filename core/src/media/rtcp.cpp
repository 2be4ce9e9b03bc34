#include "rtcp.h"

#include <algorithm>
#include <chrono>

namespace zvon {
namespace {

constexpr uint8_t kSR = 200, kRR = 201, kSDES = 202;
constexpr uint64_t kNtpUnixOffset = 2208988800ull;  // 1900 -> 1970

void put32(uint8_t* p, uint32_t v) {
  p[0] = uint8_t(v >> 24);
  p[1] = uint8_t(v >> 16);
  p[2] = uint8_t(v >> 8);
  p[3] = uint8_t(v);
}
uint32_t get32(const uint8_t* p) {
  return uint32_t(p[0]) << 24 | uint32_t(p[1]) << 16 | uint32_t(p[2]) << 8 | p[3];
}

void put_block(uint8_t* p, const RtcpReportBlock& b) {
  put32(p, b.ssrc);
  int32_t lost = std::clamp<int32_t>(b.cumulative_lost, -0x800000, 0x7fffff);
  put32(p + 4, uint32_t(b.fraction_lost) << 24 | (uint32_t(lost) & 0xffffff));
  put32(p + 8, b.highest_seq);
  put32(p + 12, b.jitter);
  put32(p + 16, b.lsr);
  put32(p + 20, b.dlsr);
}

RtcpReportBlock get_block(const uint8_t* p) {
  RtcpReportBlock b;
  b.ssrc = get32(p);
  uint32_t w = get32(p + 4);
  b.fraction_lost = uint8_t(w >> 24);
  b.cumulative_lost = int32_t(w << 8) >> 8;  // sign-extend 24 bits
  b.highest_seq = get32(p + 8);
  b.jitter = get32(p + 12);
  b.lsr = get32(p + 16);
  b.dlsr = get32(p + 20);
  return b;
}

}  // namespace

uint64_t ntp_now() {
  auto since_epoch = std::chrono::system_clock::now().time_since_epoch();
  auto us = uint64_t(std::chrono::duration_cast<std::chrono::microseconds>(since_epoch).count());
  uint64_t seconds = us / 1000000 + kNtpUnixOffset;
  uint64_t fraction = ((us % 1000000) << 32) / 1000000;
  return seconds << 32 | fraction;
}

size_t build_rtcp_report(std::span<uint8_t> out, uint32_t ssrc, const std::optional<RtcpSenderInfo>& sender,
                         const std::optional<RtcpReportBlock>& block, std::string_view cname) {
  cname = cname.substr(0, 255);
  const size_t report = 8 + (sender ? 20 : 0) + (block ? 24 : 0);
  const size_t sdes_raw = 4 + 4 + 2 + cname.size() + 1;  // header, SSRC, type+len, text, END
  const size_t sdes = (sdes_raw + 3) / 4 * 4;
  if (out.size() < report + sdes) return 0;
  uint8_t* p = out.data();
  p[0] = uint8_t(0x80 | (block ? 1 : 0));
  p[1] = sender ? kSR : kRR;
  p[2] = 0;
  p[3] = uint8_t(report / 4 - 1);
  put32(p + 4, ssrc);
  size_t at = 8;
  if (sender) {
    put32(p + at, uint32_t(sender->ntp >> 32));
    put32(p + at + 4, uint32_t(sender->ntp));
    put32(p + at + 8, sender->rtp_timestamp);
    put32(p + at + 12, sender->packets);
    put32(p + at + 16, sender->octets);
    at += 20;
  }
  if (block) {
    put_block(p + at, *block);
    at += 24;
  }
  uint8_t* s = p + at;
  std::fill(s, s + sdes, 0);  // END item and padding are zeros
  s[0] = 0x81;                // one chunk
  s[1] = kSDES;
  s[2] = 0;
  s[3] = uint8_t(sdes / 4 - 1);
  put32(s + 4, ssrc);
  s[8] = 1;  // CNAME
  s[9] = uint8_t(cname.size());
  std::copy(cname.begin(), cname.end(), s + 10);
  return report + sdes;
}

RtcpReceived parse_rtcp(std::span<const uint8_t> data, uint32_t our_ssrc) {
  RtcpReceived r;
  size_t at = 0;
  bool first = true;
  while (at + 4 <= data.size()) {
    const uint8_t* p = data.data() + at;
    if ((p[0] >> 6) != 2) return RtcpReceived{};
    const size_t len = (size_t(p[2]) << 8 | p[3]) * 4 + 4;
    if (at + len > data.size()) return RtcpReceived{};
    const uint8_t pt = p[1];
    const size_t count = p[0] & 0x1f;
    if (first && pt != kSR && pt != kRR) return RtcpReceived{};  // RFC 3550 §6.1
    first = false;
    if (pt == kSR || pt == kRR) {
      const size_t info = pt == kSR ? 20 : 0;
      if (len < 8 + info + 24 * count) return RtcpReceived{};
      r.sender_ssrc = get32(p + 4);
      if (pt == kSR) {
        RtcpSenderInfo s;
        s.ntp = uint64_t(get32(p + 8)) << 32 | get32(p + 12);
        s.rtp_timestamp = get32(p + 16);
        s.packets = get32(p + 20);
        s.octets = get32(p + 24);
        r.sender = s;
      }
      for (size_t i = 0; i < count; ++i) {
        auto b = get_block(p + 8 + info + 24 * i);
        if (b.ssrc == our_ssrc) r.about = b;
      }
    }
    at += len;
  }
  r.valid = !first && at == data.size();
  if (!r.valid) return RtcpReceived{};
  return r;
}

}  // namespace zvon
