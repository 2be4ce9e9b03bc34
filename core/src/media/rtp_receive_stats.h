// Reception statistics of one RTP stream as RFC 3550 defines them: the extended highest
// sequence number, packets expected and lost (A.3), and the interarrival jitter (A.8).
// Plain arithmetic on values handed in; the owning session's loop.
#pragma once
#include <cstdint>

namespace zvon {

class RtpReceiveStats {
 public:
  // One audio packet of the stream: its sequence number and RTP timestamp, when it arrived
  // (`arrival_us`, any monotonic clock), and the stream's clock rate.
  void on_packet(uint16_t seq, uint32_t rtp_timestamp, uint64_t arrival_us, uint32_t clock_rate);
  // A new sender (another SSRC): counting starts over.
  void reset() { *this = RtpReceiveStats{}; }

  uint64_t received() const { return received_; }
  // From the first sequence number seen to the highest, counting wraps (RFC 3550 A.3).
  uint64_t expected() const { return received_ ? extended_max() - base_seq_ + 1 : 0; }
  int64_t lost() const { return int64_t(expected()) - int64_t(received_); }
  // The extended highest sequence number received (cycles in the high 16 bits).
  uint32_t extended_highest() const { return uint32_t(extended_max()); }
  // The jitter estimate J (RFC 3550 A.8), in timestamp units and in milliseconds.
  double jitter_units() const { return jitter_; }
  double jitter_ms() const { return clock_rate_ ? jitter_ * 1000.0 / clock_rate_ : 0; }

 private:
  uint64_t extended_max() const { return uint64_t(cycles_) + max_seq_; }

  uint64_t received_ = 0;
  uint32_t base_seq_ = 0;
  uint16_t max_seq_ = 0;
  uint32_t cycles_ = 0;  // sequence number wraps, times 65536
  bool have_transit_ = false;
  int64_t last_transit_ = 0;
  double jitter_ = 0;
  uint32_t clock_rate_ = 0;
};

// A listening-quality estimate (MOS, 1..4.5) from what a receiver sees: the ITU-T G.107
// E-model reduced as Cole and Rosenbluth did for VoIP monitoring, with the delay taken as
// twice the jitter plus 10 ms of coding (no round trip known) and G.711 with random loss.
// A rough guide for spotting bad calls, not a measurement.
double mos_estimate(double loss_percent, double jitter_ms);

}  // namespace zvon
