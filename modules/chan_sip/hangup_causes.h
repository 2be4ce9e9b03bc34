// Q.850 hang-up causes <-> SIP final responses (RFC 3398 in spirit, Asterisk's choices).
#pragma once
#include "zvon/channel.h"

namespace zvon::sip {

struct SipStatus {
  int code;
  const char* phrase;
};

// The final response that rejects an unanswered inbound call for `cause`.
SipStatus status_for_cause(HangupCause cause);
// The cause a failure response to our INVITE stands for.
HangupCause cause_for_status(int status);

}  // namespace zvon::sip
