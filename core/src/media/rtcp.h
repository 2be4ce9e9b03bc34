// RTCP (RFC 3550 §6): the compound reports an RTP session sends every few seconds (a sender
// report while we send, else a receiver report, each with one report block about the stream
// we receive, and the SDES CNAME every compound packet must carry), and what we read from
// the peer's: its sender report's NTP time (for the round trip) and its report block about us.
// Plain bytes in and out; the owning session's loop.
#pragma once
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

namespace zvon {

// One report block: how well we receive the stream of `ssrc`.
struct RtcpReportBlock {
  uint32_t ssrc = 0;
  uint8_t fraction_lost = 0;      // of the last interval, in 1/256
  int32_t cumulative_lost = 0;    // 24-bit signed on the wire
  uint32_t highest_seq = 0;       // extended
  uint32_t jitter = 0;            // timestamp units
  uint32_t lsr = 0;               // middle 32 bits of the NTP time of the last SR from it
  uint32_t dlsr = 0;              // 1/65536 s since that SR
};

struct RtcpSenderInfo {
  uint64_t ntp = 0;  // 32.32 fixed point seconds since 1900
  uint32_t rtp_timestamp = 0;
  uint32_t packets = 0;
  uint32_t octets = 0;
};

// Writes SR (when `sender`) or RR, with `block` when given, then SDES CNAME `cname`.
// Returns the bytes written, 0 when `out` is too small.
size_t build_rtcp_report(std::span<uint8_t> out, uint32_t ssrc, const std::optional<RtcpSenderInfo>& sender,
                         const std::optional<RtcpReportBlock>& block, std::string_view cname);

// What a compound packet told us.
struct RtcpReceived {
  bool valid = false;                     // a well-formed compound packet (SR or RR first)
  std::optional<uint32_t> sender_ssrc;
  std::optional<RtcpSenderInfo> sender;   // from an SR
  std::optional<RtcpReportBlock> about;   // the block about `our_ssrc`, if any
};
// Never reads past `data`; garbage gives valid = false.
RtcpReceived parse_rtcp(std::span<const uint8_t> data, uint32_t our_ssrc);

// The wall clock as NTP 32.32 fixed point.
uint64_t ntp_now();
inline uint32_t ntp_middle(uint64_t ntp) { return uint32_t(ntp >> 16); }

}  // namespace zvon
