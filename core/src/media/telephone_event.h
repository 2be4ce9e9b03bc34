// RFC 4733 telephone-event payloads: parsing, and turning a stream of event packets into
// digits (each once, at its end, although the end packet is sent three times).
// The owning session's loop.
#pragma once
#include <cstdint>
#include <optional>
#include <span>

namespace zvon {

class RtpPacket;

struct TelephoneEvent {
  uint8_t event = 0;      // 0-9, 10 '*', 11 '#', 12-15 A-D, 16 flash
  bool end = false;       // the E bit
  uint8_t volume = 0;     // 0..63, -dBm0
  uint16_t duration = 0;  // in timestamp units
};

// The first event of a payload, or nothing when it is shorter than 4 bytes.
std::optional<TelephoneEvent> parse_telephone_event(std::span<const uint8_t> payload);

// The DTMF character of an event code, or 0 for codes that are not a key (flash, others).
char dtmf_char(uint8_t event);

// Digits from a stream of telephone-event packets of one RTP stream.
class DtmfReceiver {
 public:
  // The digit the packet ends, once per event: the retransmitted end packets carry the same
  // timestamp and are recognised as repeats.
  std::optional<char> on_packet(const RtpPacket& packet);

 private:
  bool have_last_ = false;
  uint32_t last_ssrc_ = 0;
  uint32_t last_timestamp_ = 0;
};

}  // namespace zvon
