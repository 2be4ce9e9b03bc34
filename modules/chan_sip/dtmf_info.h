// DTMF carried by SIP INFO inside a call (the way many desk phones and SBCs send keys):
//   Content-Type: application/dtmf-relay   body "Signal=5\r\nDuration=160\r\n"
//   Content-Type: application/dtmf         body "5"
// Plain text in, a digit or a reason out; no Sofia types. Any thread.
#pragma once
#include <string_view>

#include "zvon/result.h"

namespace zvon::sip {

// Whether `content_type` (without parameters, any case) is one of the two DTMF INFO types.
bool is_dtmf_info_type(std::string_view content_type);

// The key of an INFO body: one of 0-9 * # A-D (a-d are taken as A-D; "Signal=10" and "11" as
// * and #, as some phones send event codes). An error saying what is wrong otherwise.
Result<char> parse_dtmf_info(std::string_view content_type, std::string_view body);

}  // namespace zvon::sip
