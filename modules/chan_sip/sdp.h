// SDP offer/answer for one audio stream (RFC 4566 / RFC 3264): the codecs an endpoint allows
// (static and dynamic payload types, their fmtp), ptime, and RFC 4733 telephone-event.
// Plain data, no Sofia types: parsed on the SIP thread, used on the workers.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "sip_config.h"
#include "zvon/result.h"

namespace zvon::sip {

// RFC 3264 §5.1 / §6.1: which way media flows, as the side that wrote the SDP sees it.
enum class SdpDirection { SendRecv, SendOnly, RecvOnly, Inactive };
const char* to_string(SdpDirection d);  // "sendrecv" ...
// What we answer to an offer: sendonly <-> recvonly, the others as they are.
SdpDirection answer_direction(SdpDirection offered);

struct SdpFormat {
  int pt = -1;
  std::string name;  // "PCMU", "opus", "telephone-event"; empty for an unknown dynamic type
  int rate = 8000;
  int channels = 1;  // rtpmap's encoding parameters ("opus/48000/2")
  std::string fmtp;  // a=fmtp parameters, "" when none
};

// The first usable audio stream of a session description.
struct SdpAudio {
  std::string address;  // c= of the stream (or of the session)
  uint16_t port = 0;
  std::vector<SdpFormat> formats;  // in the m= line's order
  // a=sendonly/recvonly/inactive of the stream (or the session); c=0.0.0.0 (RFC 2543 hold)
  // counts as sendonly.
  SdpDirection direction = SdpDirection::SendRecv;
  int ptime = 0;                   // a=ptime in ms, 0 when not given
};

// Parses `text`; a clear error (the offending line) for anything that is not a valid SDP with
// an RTP/AVP audio stream over IPv4.
Result<SdpAudio> parse_sdp(std::string_view text);

// What one leg's RTP uses after offer/answer.
struct MediaChoice {
  std::string codec;    // the SDP encoding name: "PCMU", "G722", "opus"
  int audio_pt = -1;
  int clock_rate = 8000;
  int channels = 1;
  std::string remote_fmtp;  // the far end's fmtp for the codec: configures our encoder
  std::string local_fmtp;   // ours, for the answer
  int ptime = 20;           // the far end's packet time
  int dtmf_pt = -1;     // -1: no telephone-event
  std::string remote_address;  // "0.0.0.0" in an RFC 2543 hold: keep sending nowhere new
  uint16_t remote_port = 0;
  SdpDirection remote_direction = SdpDirection::SendRecv;
};

// Whose order decides among the codecs both sides have.
enum class Preference {
  Ours,    // an offer from the far end: the endpoint's allow= order wins
  Theirs,  // the answer to our offer: the far end chose, its first format is the one
};

// Picks the audio codec (name and clock rate must match one of `codecs`) and
// telephone-event/8000 when `dtmf`. Fails when nothing is common, naming both sides' lists.
Result<MediaChoice> negotiate(const SdpAudio& remote, const std::vector<CodecPref>& codecs, bool dtmf,
                              Preference preference);

// The telephone-event payload type we offer.
inline constexpr int kOfferedDtmfPt = 101;

// Our description: `formats` in order (audio first, then telephone-event if any).
std::string build_sdp(uint64_t session_id, uint64_t version, std::string_view address, uint16_t port,
                      const std::vector<SdpFormat>& formats,
                      SdpDirection direction = SdpDirection::SendRecv);
// Our offer: every allowed codec (dynamic payload types from 96, past telephone-event's) and
// telephone-event when allowed.
std::vector<SdpFormat> offer_formats(const std::vector<CodecPref>& codecs, bool dtmf);
// Our answer: the chosen codec and telephone-event when negotiated.
std::vector<SdpFormat> answer_formats(const MediaChoice& choice);

}  // namespace zvon::sip
