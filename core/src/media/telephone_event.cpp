#include "telephone_event.h"

#include "zvon/media.h"

namespace zvon {

std::optional<TelephoneEvent> parse_telephone_event(std::span<const uint8_t> payload) {
  if (payload.size() < 4) return std::nullopt;
  TelephoneEvent e;
  e.event = payload[0];
  e.end = payload[1] & 0x80;
  e.volume = payload[1] & 0x3f;
  e.duration = uint16_t(payload[2] << 8 | payload[3]);
  return e;
}

char dtmf_char(uint8_t event) {
  static constexpr char kKeys[] = "0123456789*#ABCD";
  return event < 16 ? kKeys[event] : 0;
}

std::optional<char> DtmfReceiver::on_packet(const RtpPacket& packet) {
  auto e = parse_telephone_event(packet.payload());
  if (!e || !e->end) return std::nullopt;
  if (have_last_ && packet.ssrc() == last_ssrc_ && packet.timestamp() == last_timestamp_)
    return std::nullopt;
  have_last_ = true;
  last_ssrc_ = packet.ssrc();
  last_timestamp_ = packet.timestamp();
  char c = dtmf_char(e->event);
  if (!c) return std::nullopt;
  return c;
}

}  // namespace zvon
