#include "hangup_causes.h"

namespace zvon::sip {

SipStatus status_for_cause(HangupCause cause) {
  switch (cause) {
    case HangupCause::Busy: return {486, "Busy Here"};
    case HangupCause::NoAnswer: return {480, "Temporarily Unavailable"};
    case HangupCause::Unallocated: return {404, "Not Found"};
    case HangupCause::NoUserResponse: return {408, "Request Timeout"};
    case HangupCause::Congestion: return {503, "Service Unavailable"};
    case HangupCause::CallRejected: return {603, "Decline"};
    case HangupCause::Failure: return {500, "Server Internal Error"};
    case HangupCause::OriginatorCancel: return {487, "Request Terminated"};
    case HangupCause::Normal:
    case HangupCause::Unknown: break;
  }
  // A call ended before answer with nothing more specific: nobody took it.
  return {480, "Temporarily Unavailable"};
}

HangupCause cause_for_status(int status) {
  switch (status) {
    case 486:
    case 600: return HangupCause::Busy;
    case 480: return HangupCause::NoAnswer;
    case 404:
    case 484:
    case 604: return HangupCause::Unallocated;
    case 408: return HangupCause::NoUserResponse;
    case 403:
    case 603: return HangupCause::CallRejected;
    case 487: return HangupCause::OriginatorCancel;
    case 500: return HangupCause::Failure;
    case 502:
    case 503:
    case 504: return HangupCause::Congestion;
    default: break;
  }
  if (status >= 500) return HangupCause::Failure;
  if (status >= 400) return HangupCause::CallRejected;
  return HangupCause::Failure;
}

}  // namespace zvon::sip
