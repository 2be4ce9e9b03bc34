#include "inband_dtmf.h"

#include <array>

// SpanDSP's headers are not self-contained: these come before dtmf.h in this order.
extern "C" {
#include <spandsp/telephony.h>
#include <spandsp/logging.h>
#include <spandsp/complex.h>
#include <spandsp/super_tone_rx.h>
#include <spandsp/tone_detect.h>
#include <spandsp/tone_generate.h>
#include <spandsp/dtmf.h>
}

#include "zvon/g711.h"

namespace zvon {

void InbandDtmfDetector::Free::operator()(dtmf_rx_state_s* s) const { dtmf_rx_free(s); }

InbandDtmfDetector::InbandDtmfDetector(std::function<void(char)> on_digit)
    : on_digit_(std::move(on_digit)),
      rx_(dtmf_rx_init(nullptr, &InbandDtmfDetector::on_digits, this)) {}

InbandDtmfDetector::~InbandDtmfDetector() = default;

void InbandDtmfDetector::on_digits(void* self, const char* digits, int len) {
  auto* d = static_cast<InbandDtmfDetector*>(self);
  for (int i = 0; i < len; ++i)
    if (d->on_digit_) d->on_digit_(digits[i]);
}

void InbandDtmfDetector::feed(std::span<const int16_t> pcm) {
  if (!rx_ || pcm.empty()) return;
  dtmf_rx(rx_.get(), pcm.data(), int(pcm.size()));
}

bool InbandDtmfDetector::feed_g711(std::string_view codec_name, std::span<const uint8_t> payload) {
  // 60 ms of 8 kHz audio per chunk: packets are normally 20 ms, longer ones go in pieces.
  std::array<int16_t, 480> pcm;
  const bool ulaw = codec_name == "PCMU";
  if (!ulaw && codec_name != "PCMA") return false;
  while (!payload.empty()) {
    size_t n = ulaw ? g711::decode_ulaw(payload, pcm) : g711::decode_alaw(payload, pcm);
    feed(std::span<const int16_t>(pcm.data(), n));
    payload = payload.subspan(n);
  }
  return true;
}

}  // namespace zvon
