// In-band DTMF: digits found in received audio by SpanDSP's DTMF receiver (Goertzel filters
// with twist and duration checks), for phones that send their keys as tones. The session
// feeds it 8 kHz audio decoded behind its jitter buffer (DecodedStream), whatever the codec.
// One detector per RTP stream; the owning session's loop.
#pragma once
#include <cstdint>
#include <functional>
#include <memory>
#include <span>

struct dtmf_rx_state_s;

namespace zvon {

class InbandDtmfDetector {
 public:
  // `on_digit` runs once per key press (from inside feed()).
  explicit InbandDtmfDetector(std::function<void(char)> on_digit);
  ~InbandDtmfDetector();
  InbandDtmfDetector(const InbandDtmfDetector&) = delete;
  InbandDtmfDetector& operator=(const InbandDtmfDetector&) = delete;

  // 8 kHz 16-bit samples, in order.
  void feed(std::span<const int16_t> pcm);

 private:
  static void on_digits(void* self, const char* digits, int len);
  std::function<void(char)> on_digit_;
  struct Free {
    void operator()(dtmf_rx_state_s* s) const;
  };
  std::unique_ptr<dtmf_rx_state_s, Free> rx_;
};

}  // namespace zvon
