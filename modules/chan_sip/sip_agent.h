// The SIP user agent on the Sofia thread (NUA with media disabled: chan_sip writes its SDP).
// Answers REGISTER (registrar, digest auth), OPTIONS, INVITE/ACK/CANCEL/BYE of inbound legs,
// and sends INVITE/CANCEL/BYE for outbound ones. Sofia objects stay on the Sofia thread: the
// workers name a leg by its id.
//
// Threads: the SofiaThread hooks and the NUA callbacks run on the Sofia thread; the command
// methods (respond, hangup, invite) may be called from any thread and queue work to it.
#pragma once
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <unordered_map>

#include "call_leg.h"
#include "hint_subscriptions.h"
#include "zvon/channel.h"
#include "zvon/result.h"

struct su_root_s;
struct nua_s;
struct nua_handle_s;
struct sip_s;
struct su_timer_s;

namespace zvon::sip {

struct SipShared;
struct SofiaLeg;

class SipAgent {
 public:
  explicit SipAgent(SipShared& shared);
  ~SipAgent();
  SipAgent(const SipAgent&) = delete;
  SipAgent& operator=(const SipAgent&) = delete;

  // SofiaThread hooks (the Sofia thread).
  Result<void> start(su_root_s* root);
  void shutdown(std::function<void()> done);
  void teardown();

  // --- commands from the workers (any thread)
  // A response to the inbound INVITE of leg `id` (provisional or final; 2xx answers).
  // `phrase` must be a string literal: the stack keeps the pointer.
  void respond(uint64_t id, int code, const char* phrase, std::string sdp = {});
  // Ends leg `id` the way its state needs: BYE, CANCEL, or an error response for `cause`.
  void hangup(uint64_t id, HangupCause cause);
  // The answer to the re-INVITE leg `id` received (`sdp` empty for an error answer).
  // `phrase` must be a string literal.
  void answer_reinvite(uint64_t id, int code, const char* phrase, std::string sdp);
  // Sends the INVITE of outbound leg `id`, whose channel lives on `loop`.
  void invite(uint64_t id, Loop& loop, OutboundTarget target, std::string sdp, Endpoint endpoint);

  // The NUA callback (the Sofia thread); `state` is NUTAG_CALLSTATE of nua_i_state,
  // NUTAG_SUBSTATE of nua_i_subscribe and nua_r_notify, else -1.
  void on_event(int event, int status, const char* phrase, nua_handle_s* nh, SofiaLeg* leg,
                const sip_s* sip, int state);

 private:
  void handle_register(nua_handle_s* nh, const sip_s* sip);
  void handle_invite(nua_handle_s* nh, const sip_s* sip);
  void handle_subscribe(nua_handle_s* nh, const sip_s* sip);
  // Digest authentication of a phone's INVITE or SUBSCRIBE (Proxy-Authorization): its endpoint,
  // or null when the request was answered (407 challenge, 403) and its handle released.
  const Endpoint* authenticate(nua_handle_s* nh, const sip_s* sip, const SipConfig& cfg, const char* method,
                               const std::string& source);
  void handle_reinvite(SofiaLeg& leg, nua_handle_s* nh, const sip_s* sip);
  void handle_invite_response(SofiaLeg& leg, int status, const char* phrase, const sip_s* sip);
  void handle_info(SofiaLeg& leg, nua_handle_s* nh, const sip_s* sip);
  void handle_state(SofiaLeg* leg, int callstate);
  void tell_hangup(SofiaLeg& leg, HangupCause cause);
  void release(SofiaLeg& leg);
  void purge_registrations();

  SipShared& s_;
  nua_s* nua_ = nullptr;
  su_timer_s* purge_timer_ = nullptr;
  std::function<void()> shutdown_done_;
  std::unordered_map<uint64_t, std::unique_ptr<SofiaLeg>> legs_;  // the Sofia thread
  HintSubscriptions subscriptions_{s_};                            // the Sofia thread
};

}  // namespace zvon::sip
