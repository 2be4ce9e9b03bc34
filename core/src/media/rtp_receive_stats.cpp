#include "rtp_receive_stats.h"

#include <algorithm>
#include <cstdlib>

namespace zvon {

namespace {
// A jump this large ahead is taken as a restart or a stray packet, not as loss (RFC 3550 A.1
// uses the same bound, MAX_DROPOUT).
constexpr uint16_t kMaxDropout = 3000;
}  // namespace

void RtpReceiveStats::on_packet(uint16_t seq, uint32_t rtp_timestamp, uint64_t arrival_us,
                                uint32_t clock_rate) {
  if (received_ == 0) {
    base_seq_ = seq;
    max_seq_ = seq;
    cycles_ = 0;
  } else {
    uint16_t delta = uint16_t(seq - max_seq_);
    if (delta != 0 && delta < kMaxDropout) {
      if (seq < max_seq_) cycles_ += 65536;  // wrapped
      max_seq_ = seq;
    }
    // Older packets (reordered, duplicated) count as received without moving the maximum.
  }
  ++received_;

  // Jitter: the transit time (arrival in timestamp units minus the RTP timestamp) varies by D
  // between consecutive packets; J += (|D| - J) / 16.
  clock_rate_ = clock_rate;
  const int64_t arrival_units = int64_t(arrival_us * clock_rate / 1000000);
  const int64_t transit = arrival_units - int64_t(rtp_timestamp);
  if (have_transit_) {
    // Timestamps are modulo 2^32: the difference of two transits is taken modulo too.
    int64_t d = int64_t(int32_t(uint32_t(transit - last_transit_)));
    jitter_ += (double(std::llabs(d)) - jitter_) / 16.0;
  }
  last_transit_ = transit;
  have_transit_ = true;
}

double mos_estimate(double loss_percent, double jitter_ms) {
  if (loss_percent < 0) loss_percent = 0;
  if (jitter_ms < 0) jitter_ms = 0;
  const double delay = 2 * jitter_ms + 10;
  const double id = delay < 160 ? delay / 40 : (delay - 120) / 10;
  const double ie = 2.5 * loss_percent;  // G.711 with packet loss concealment, random loss
  const double r = std::max(0.0, std::min(93.2, 93.2 - id - ie));
  const double mos = 1 + 0.035 * r + 0.000007 * r * (r - 60) * (100 - r);
  return std::max(1.0, std::min(4.5, mos));
}

}  // namespace zvon
