// Sofia's NUA as chan_sip uses it: the magic types of the agent and of a call leg's handle
// (they must be defined before the first Sofia header, and the same in every file that
// handles NUA events), then the headers. Include it before any other Sofia header.
#pragma once

namespace zvon::sip {
class SipAgent;
struct SofiaLeg;
}  // namespace zvon::sip
#define NUA_MAGIC_T ::zvon::sip::SipAgent
#define NUA_HMAGIC_T ::zvon::sip::SofiaLeg

#include <sofia-sip/msg_addr.h>
#include <sofia-sip/nua.h>
#include <sofia-sip/nua_tag.h>
#include <sofia-sip/sip_header.h>
#include <sofia-sip/sip_status.h>
#include <sofia-sip/su_tag.h>
#include <sofia-sip/su_tagarg.h>
#include <sofia-sip/url.h>
