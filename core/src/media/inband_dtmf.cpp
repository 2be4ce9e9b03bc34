#include "inband_dtmf.h"

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

}  // namespace zvon
