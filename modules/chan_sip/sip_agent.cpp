#include "sip_agent.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <chrono>
#include <cstring>
#include <optional>

#include "sofia_nua.h"

#include "digest_auth.h"
#include "dtmf_info.h"
#include "hangup_causes.h"
#include "loaded_codecs.h"
#include "sdp.h"
#include "sip_shared.h"
#include "zvon/log.h"

namespace zvon::sip {

// The Sofia side of one call leg. The Sofia thread only.
struct SofiaLeg {
  uint64_t id = 0;
  nua_handle_t* nh = nullptr;
  Direction direction = Direction::Inbound;
  Loop* loop = nullptr;         // where the leg's channel lives
  std::string endpoint;
  std::vector<CodecPref> codecs;  // what we offered (outbound) / allow (inbound, for re-INVITEs)
  bool dtmf = false;
  bool reinvite_pending = false;  // a re-INVITE waits for the worker's answer
  std::string local_sdp;        // the last SDP we sent
  bool final_sent = false;      // inbound: a final response went out
  bool answered = false;        // 2xx sent (inbound) or received (outbound)
  bool cancelled = false;       // outbound: CANCEL sent
  bool local_hangup = false;    // the channel asked to end the leg
  bool told = false;            // the channel knows the leg ended
};

namespace {

constexpr const char* kSource = "chan_sip";
constexpr const char* kAllow = "INVITE, ACK, BYE, CANCEL, OPTIONS, REGISTER, INFO, SUBSCRIBE";
// The event packages of SUBSCRIBE (busy lamp fields); the stack answers others 489.
constexpr const char* kAllowEvents = "dialog, presence";

int64_t wall_seconds() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

void nua_callback(nua_event_t event, int status, char const* phrase, nua_t*, nua_magic_t* agent,
                  nua_handle_t* nh, nua_hmagic_t* leg, sip_t const* sip, tagi_t tags[]) {
  int state = -1;
  if (event == nua_i_state) tl_gets(tags, NUTAG_CALLSTATE_REF(state), TAG_END());
  if (event == nua_i_subscribe || event == nua_r_notify) tl_gets(tags, NUTAG_SUBSTATE_REF(state), TAG_END());
  agent->on_event(event, status, phrase, nh, leg, sip, state);
}

// Where the request being handled came from.
struct SourceAddress {
  std::string transport = "udp";  // "udp" / "tcp"
  std::string host = "?";
  int port = 0;
  std::string text() const { return transport + " " + host + ":" + std::to_string(port); }
  // The next hop that reaches it, for NAT: "sip:1.2.3.4:5070;transport=udp".
  std::string next_hop() const {
    bool v6 = host.find(':') != std::string::npos;
    return "sip:" + (v6 ? "[" + host + "]" : host) + ":" + std::to_string(port) + ";transport=" + transport;
  }
};

SourceAddress request_address(nua_t* nua) {
  SourceAddress out;
  msg_t* msg = nua_current_request(nua);
  if (!msg) return out;
  su_addrinfo_t* ai = msg_addrinfo(msg);
  if (!ai || !ai->ai_addr) return out;
  char host[INET6_ADDRSTRLEN] = "?";
  if (ai->ai_addr->sa_family == AF_INET) {
    auto* in = reinterpret_cast<sockaddr_in*>(ai->ai_addr);
    inet_ntop(AF_INET, &in->sin_addr, host, sizeof host);
    out.port = ntohs(in->sin_port);
  } else if (ai->ai_addr->sa_family == AF_INET6) {
    auto* in6 = reinterpret_cast<sockaddr_in6*>(ai->ai_addr);
    inet_ntop(AF_INET6, &in6->sin6_addr, host, sizeof host);
    out.port = ntohs(in6->sin6_port);
  }
  out.host = host;
  out.transport = ai->ai_protocol == IPPROTO_TCP ? "tcp" : "udp";
  return out;
}

// "udp 127.0.0.1:5070" for the request being handled.
std::string request_source(nua_t* nua) { return request_address(nua).text(); }

// NAT: must the phone be reached at the address its request came from rather than at its
// Contact? nat=yes always; nat=auto when the top Via's sent-by is not that address (RFC 3581
// detection, as the phone cannot know its public address). Over TCP the source port is the
// connection's, never the Via's, so only the host counts there.
bool needs_next_hop(NatMode nat, const sip_via_t* via, const SourceAddress& from) {
  if (nat == NatMode::No || from.port == 0) return false;
  if (nat == NatMode::Yes) return true;
  if (!via || !via->v_host) return true;
  if (from.host != via->v_host) return true;
  if (from.transport == "tcp") return false;
  int port = via->v_port ? std::atoi(via->v_port) : 5060;
  return from.port != port;
}

// The Digest credentials for `realm` among Authorization / Proxy-Authorization headers.
std::optional<DigestCredentials> find_credentials(const msg_auth_t* au, const std::string& realm) {
  std::optional<DigestCredentials> any;
  for (; au; au = au->au_next) {
    if (!au->au_scheme || strcasecmp(au->au_scheme, "Digest") != 0 || !au->au_params) continue;
    std::vector<std::string_view> params;
    for (auto p = au->au_params; *p; ++p) params.emplace_back(*p);
    auto c = parse_digest_params(params);
    if (!c) continue;
    if (c->realm == realm) return c;
    if (!any) any = c;
  }
  return any;
}

std::string url_text(const url_t* url) {
  su_home_t home[1] = {SU_HOME_INIT(home)};
  char* s = url_as_string(home, url);
  std::string out = s ? s : "";
  su_home_deinit(home);
  return out;
}

std::string payload_of(const sip_t* sip) {
  if (!sip || !sip->sip_payload || !sip->sip_payload->pl_data) return {};
  return std::string(sip->sip_payload->pl_data, sip->sip_payload->pl_len);
}

bool is_sdp(const sip_t* sip) {
  return !sip->sip_content_type || !sip->sip_content_type->c_type ||
         strcasecmp(sip->sip_content_type->c_type, "application/sdp") == 0;
}

}  // namespace

SipAgent::SipAgent(SipShared& shared) : s_(shared) {}
SipAgent::~SipAgent() = default;

Result<void> SipAgent::start(su_root_s* root) {
  auto cfg = s_.config.get();
  std::string url = "sip:" + cfg->bind_address + ":" + std::to_string(cfg->port);
  if (cfg->udp && !cfg->tcp) url += ";transport=udp";
  if (cfg->tcp && !cfg->udp) url += ";transport=tcp";
  nua_ = nua_create(root, nua_callback, this, NUTAG_URL(url.c_str()), NUTAG_MEDIA_ENABLE(0),
                    NUTAG_AUTOALERT(0), NUTAG_AUTOANSWER(0), NUTAG_AUTOACK(1),
                    NUTAG_APPL_METHOD("REGISTER"), NUTAG_APPL_METHOD("INFO"), NUTAG_APPL_METHOD("SUBSCRIBE"),
                    SIPTAG_ALLOW_STR(kAllow), NUTAG_ALLOW_EVENTS(kAllowEvents),
                    NUTAG_SUB_EXPIRES(unsigned(cfg->sub_max_expiry)),
                    NUTAG_ENABLEMESSAGE(0), NUTAG_ENABLEINVITE(1),
                    SIPTAG_USER_AGENT_STR(cfg->user_agent.c_str()),
                    SIPTAG_SERVER_STR(cfg->user_agent.c_str()), TAG_END());
  if (!nua_)
    return make_error(cat("chan_sip: cannot listen on ", cfg->bind_address, ":", cfg->port, " (",
                          cfg->udp ? "udp" : "", cfg->udp && cfg->tcp ? "," : "", cfg->tcp ? "tcp" : "",
                          "): is the address local and the port free? (sip.conf [general] bind=, port=)"));
  subscriptions_.set_nua(nua_);
  purge_timer_ = su_timer_create(su_root_task(root), 1000);
  su_timer_run(
      purge_timer_,
      [](su_root_magic_t*, su_timer_t*, su_timer_arg_t* arg) {
        static_cast<SipAgent*>(arg)->purge_registrations();
      },
      this);
  log(LogLevel::Notice, kSource, "listening on ", url);
  return {};
}

void SipAgent::shutdown(std::function<void()> done) {
  if (purge_timer_) su_timer_reset(purge_timer_);
  shutdown_done_ = std::move(done);
  subscriptions_.terminate_all();
  nua_shutdown(nua_);
}

void SipAgent::teardown() {
  if (purge_timer_) su_timer_destroy(purge_timer_);
  purge_timer_ = nullptr;
  subscriptions_.clear();  // their handles, while the stack still exists
  subscriptions_.set_nua(nullptr);
  if (nua_) nua_destroy(nua_);
  nua_ = nullptr;
  legs_.clear();
}

// ------------------------------------------------------------------ commands from the workers

void SipAgent::respond(uint64_t id, int code, const char* phrase, std::string sdp) {
  s_.thread.post([this, id, code, phrase, sdp = std::move(sdp)] {
    auto it = legs_.find(id);
    if (it == legs_.end()) return;
    SofiaLeg& leg = *it->second;
    if (leg.direction != Direction::Inbound || leg.final_sent) return;
    if (code >= 200) {
      leg.final_sent = true;
      leg.answered = code < 300;
      if (code >= 300) leg.told = leg.local_hangup = true;
    }
    if (!sdp.empty()) {
      leg.local_sdp = sdp;
      nua_respond(leg.nh, code, phrase, SIPTAG_CONTENT_TYPE_STR("application/sdp"),
                  SIPTAG_PAYLOAD_STR(leg.local_sdp.c_str()), TAG_END());
    } else {
      nua_respond(leg.nh, code, phrase, TAG_END());
    }
  });
}

void SipAgent::hangup(uint64_t id, HangupCause cause) {
  s_.thread.post([this, id, cause] {
    auto it = legs_.find(id);
    if (it == legs_.end()) return;
    SofiaLeg& leg = *it->second;
    leg.local_hangup = leg.told = true;
    if (leg.answered) {
      nua_bye(leg.nh, TAG_END());
    } else if (leg.direction == Direction::Inbound) {
      if (!leg.final_sent) {
        leg.final_sent = true;
        auto st = status_for_cause(cause);
        nua_respond(leg.nh, st.code, st.phrase, TAG_END());
      }
    } else if (!leg.cancelled) {
      leg.cancelled = true;
      nua_cancel(leg.nh, TAG_END());
    }
  });
}

void SipAgent::answer_reinvite(uint64_t id, int code, const char* phrase, std::string sdp) {
  s_.thread.post([this, id, code, phrase, sdp = std::move(sdp)] {
    auto it = legs_.find(id);
    if (it == legs_.end()) return;
    SofiaLeg& leg = *it->second;
    if (!leg.reinvite_pending) return;
    leg.reinvite_pending = false;
    if (sdp.empty()) {
      nua_respond(leg.nh, code, phrase, TAG_END());
      return;
    }
    leg.local_sdp = sdp;
    nua_respond(leg.nh, code, phrase, SIPTAG_CONTENT_TYPE_STR("application/sdp"),
                SIPTAG_PAYLOAD_STR(leg.local_sdp.c_str()), TAG_END());
  });
}

void SipAgent::invite(uint64_t id, Loop& loop, OutboundTarget target, std::string sdp, Endpoint endpoint) {
  s_.thread.post([this, id, loop = &loop, target = std::move(target), sdp = std::move(sdp),
                  endpoint = std::move(endpoint)] {
    auto leg = std::make_unique<SofiaLeg>();
    leg->id = id;
    leg->direction = Direction::Outbound;
    leg->loop = loop;
    leg->endpoint = endpoint.name;
    leg->codecs = endpoint.codecs;
    leg->dtmf = endpoint.telephone_event;
    leg->local_sdp = sdp;
    leg->nh = nua_handle(nua_, leg.get(), SIPTAG_TO_STR(target.to.c_str()),
                         SIPTAG_FROM_STR(target.from.c_str()), TAG_END());
    if (!leg->nh) {
      log(LogLevel::Warning, kSource, "cannot make a SIP handle for ", target.request_uri);
      tell_hangup(*leg, HangupCause::Failure);
      return;
    }
    // NAT: the registration's source is the next hop of every request on the handle; the
    // Request-URI stays its Contact. (Set as a handle parameter: creation tags do not carry it.)
    if (!target.next_hop.empty())
      nua_set_hparams(leg->nh, NUTAG_PROXY(URL_STRING_MAKE(target.next_hop.c_str())), TAG_END());
    nua_invite(leg->nh, NUTAG_URL(target.request_uri.c_str()),
               SIPTAG_CONTENT_TYPE_STR("application/sdp"), SIPTAG_PAYLOAD_STR(leg->local_sdp.c_str()),
               TAG_END());
    log(LogLevel::Verbose, kSource, "INVITE ", target.request_uri, " (", endpoint.name, ")");
    legs_.emplace(id, std::move(leg));
  });
}

// ------------------------------------------------------------------ events from the stack

void SipAgent::on_event(int event, int status, const char* phrase, nua_handle_s* nh, SofiaLeg* leg,
                        const sip_s* sip, int state) {
  switch (event) {
    case nua_i_register:
      if (sip) handle_register(nh, sip);
      else nua_handle_destroy(nh);
      return;
    case nua_i_info:
      if (leg) {
        if (sip) handle_info(*leg, nh, sip);
        return;
      }
      // INFO outside any call of ours: nothing to apply it to, and the handle the stack made
      // for it is not wanted either.
      if (sip) nua_respond(nh, 481, "Call/Transaction Does Not Exist", NUTAG_WITH_THIS(nua_), TAG_END());
      nua_handle_destroy(nh);
      return;
    case nua_i_invite:
      if (!sip) return;
      if (leg) handle_reinvite(*leg, nh, sip);
      else handle_invite(nh, sip);
      return;
    case nua_r_invite:
      if (leg) handle_invite_response(*leg, status, phrase, sip);
      return;
    case nua_i_cancel:
      if (leg) {
        leg->final_sent = true;  // the stack answers the INVITE with 487
        log(LogLevel::Verbose, kSource, "call ", leg->id, " cancelled by the caller");
        tell_hangup(*leg, HangupCause::OriginatorCancel);
      }
      return;
    case nua_i_bye:
      if (leg) {
        log(LogLevel::Verbose, kSource, "call ", leg->id, " ended by BYE");
        tell_hangup(*leg, HangupCause::Normal);
      }
      return;
    case nua_i_state:
      if (leg) handle_state(leg, state);
      return;
    case nua_i_subscribe:
      if (subscriptions_.owns(nh)) {
        subscriptions_.on_subscribe(nh, state);
      } else if (status >= 200) {
        // The stack refused it (489 for an event we do not serve): the handle is not wanted.
        if (!leg) nua_handle_destroy(nh);
      } else if (leg) {
        // Inside a call's dialog: no event package of ours lives there.
        nua_respond(nh, 489, "Bad Event", NUTAG_WITH_THIS(nua_), SIPTAG_ALLOW_EVENTS_STR(kAllowEvents), TAG_END());
      } else if (sip) {
        handle_subscribe(nh, sip);
      }
      return;
    case nua_r_notify:
      subscriptions_.on_notify_answer(nh, status, state);
      return;
    case nua_i_ack:
    case nua_r_bye:
    case nua_r_cancel:
    case nua_i_active:
    case nua_i_terminated:
    case nua_i_prack:
      return;
    case nua_r_shutdown:
      if (status >= 200 && shutdown_done_) std::exchange(shutdown_done_, nullptr)();
      return;
    case nua_i_error:
      log(LogLevel::Warning, kSource, "SIP stack error: ", status, " ", phrase ? phrase : "");
      return;
    default:
      // Requests the stack answered on its own (OPTIONS...) leave a handle we do not want.
      if (event >= nua_i_error && event < nua_r_set_params && nh && !leg) nua_handle_destroy(nh);
      return;
  }
}

void SipAgent::handle_register(nua_handle_s* nh, const sip_s* sip) {
  auto cfg = s_.config.get();
  const int64_t now = wall_seconds();
  const SourceAddress from = request_address(nua_);
  const std::string source = from.text();
  auto answer = [&](int code, const char* phrase, tagi_t const* extra = nullptr) {
    nua_respond(nh, code, phrase, NUTAG_WITH_THIS(nua_), TAG_NEXT(extra));
    nua_handle_destroy(nh);
  };
  auto challenge = [&](bool stale) {
    auto h = s_.auth.challenge(cfg->realm, stale, now);
    tagi_t t[] = {{SIPTAG_WWW_AUTHENTICATE_STR(h.c_str())}, {TAG_END()}};
    answer(401, "Unauthorized", t);
  };

  auto creds = find_credentials(sip->sip_authorization, cfg->realm);
  if (!creds) return challenge(false);
  const Endpoint* ep = cfg->endpoint(creds->username);
  auto verdict = s_.auth.verify(*creds, "REGISTER", cfg->realm, ep ? &ep->secret : nullptr, now);
  if (verdict == DigestAuth::Verdict::Stale) return challenge(true);
  const char* to_user = sip->sip_to ? sip->sip_to->a_url->url_user : nullptr;
  if (verdict != DigestAuth::Verdict::Ok || !to_user || creds->username != to_user) {
    log(LogLevel::Notice, kSource, "REGISTER from ", source, " as '", creds->username,
        "' refused: ", !ep ? "no such endpoint" : verdict != DigestAuth::Verdict::Ok ? "wrong password" : "To user differs from the username");
    return answer(403, "Forbidden");
  }

  const int header_expires = sip->sip_expires ? int(sip->sip_expires->ex_delta) : -1;
  const auto steady_now = Registrar::Clock::now();
  auto publish = [&](const std::string& contact, int expires, const char* status) {
    Event e;
    e.type = "Registration";
    e.add("endpoint", ep->name).add("contact", contact).add("expires", std::to_string(expires))
        .add("status", status).add("source", source);
    s_.core.events().publish(std::move(e));
  };

  const sip_contact_t* first = sip->sip_contact;
  if (first && first->m_url->url_type == url_any) {  // Contact: *
    if (header_expires != 0 || first->m_next) return answer(400, "Bad Request");
    auto gone = s_.registrar.bindings(ep->name, steady_now);
    s_.registrar.remove_all(ep->name);
    for (auto& b : gone) publish(b.contact, 0, "Removed");
    if (s_.store) s_.store->removed_all(ep->name);
    log(LogLevel::Verbose, kSource, "endpoint ", ep->name, " unregistered every contact");
  }
  for (const sip_contact_t* m = first; m && m->m_url->url_type != url_any; m = m->m_next) {
    if (m->m_url->url_type != url_sip && m->m_url->url_type != url_sips) return answer(400, "Bad Request");
    int expires = cfg->default_expiry;
    if (m->m_expires) expires = std::atoi(m->m_expires);
    else if (header_expires >= 0) expires = header_expires;
    if (expires < 0) expires = cfg->default_expiry;
    if (expires > 0 && expires < cfg->min_expiry) {
      std::string min = std::to_string(cfg->min_expiry);
      tagi_t t[] = {{SIPTAG_MIN_EXPIRES_STR(min.c_str())}, {TAG_END()}};
      return answer(423, "Interval Too Brief", t);
    }
    expires = std::min(expires, cfg->max_expiry);
    Binding b;
    b.endpoint = ep->name;
    b.contact = url_text(m->m_url);
    b.source = source;
    if (needs_next_hop(ep->nat, sip->sip_via, from)) b.next_hop = from.next_hop();
    b.user_agent = sip->sip_user_agent && sip->sip_user_agent->g_string ? sip->sip_user_agent->g_string : "";
    b.call_id = sip->sip_call_id && sip->sip_call_id->i_id ? sip->sip_call_id->i_id : "";
    b.cseq = sip->sip_cseq ? sip->sip_cseq->cs_seq : 0;
    b.registered_at = steady_now;
    std::string contact = b.contact;
    Binding kept = b;
    if (!b.next_hop.empty() && expires > 0)
      log(LogLevel::Verbose, kSource, "endpoint ", ep->name, " (nat): ", contact, " is reached at ", b.next_hop);
    auto change = s_.registrar.update(std::move(b), expires);
    if (s_.store && (change == Registrar::Change::Added || change == Registrar::Change::Refreshed))
      s_.store->saved(kept, expires);
    else if (s_.store && change == Registrar::Change::Removed)
      s_.store->removed(ep->name, contact);
    switch (change) {
      case Registrar::Change::Added:
        log(LogLevel::Notice, kSource, "endpoint ", ep->name, " registered at ", contact, " for ", expires, " s");
        publish(contact, expires, "Added");
        break;
      case Registrar::Change::Refreshed: publish(contact, expires, "Refreshed"); break;
      case Registrar::Change::Removed:
        log(LogLevel::Notice, kSource, "endpoint ", ep->name, " unregistered ", contact);
        publish(contact, 0, "Removed");
        break;
      case Registrar::Change::Refused: return answer(503, "Service Unavailable");
      case Registrar::Change::Unchanged: break;
    }
  }

  std::string contacts;
  for (auto& b : s_.registrar.bindings(ep->name, steady_now)) {
    if (!contacts.empty()) contacts += ", ";
    contacts += "<" + b.contact + ">;expires=" + std::to_string(std::max<int64_t>(0, b.seconds_left(steady_now)));
  }
  if (contacts.empty()) return answer(200, "OK");
  tagi_t t[] = {{SIPTAG_CONTACT_STR(contacts.c_str())}, {TAG_END()}};
  answer(200, "OK", t);
}

void SipAgent::handle_invite(nua_handle_s* nh, const sip_s* sip) {
  auto cfg = s_.config.get();
  const std::string source = request_source(nua_);
  auto reject = [&](int code, const char* phrase, tagi_t const* extra = nullptr) {
    nua_respond(nh, code, phrase, TAG_NEXT(extra));
    nua_handle_destroy(nh);
  };
  auto reject_warning = [&](int code, const char* phrase, const std::string& why) {
    log(LogLevel::Notice, kSource, "INVITE from ", source, " refused with ", code, ": ", why);
    std::string text = why.substr(0, 200);
    for (auto& c : text)
      if (c == '"' || c == '\\' || static_cast<unsigned char>(c) < 0x20) c = '\'';
    std::string w = "399 zvon \"" + text + "\"";
    tagi_t t[] = {{SIPTAG_WARNING_STR(w.c_str())}, {TAG_END()}};
    reject(code, phrase, t);
  };
  const Endpoint* ep = authenticate(nh, sip, *cfg, "INVITE", source);
  if (!ep) return;

  if (!is_sdp(sip)) {
    tagi_t t[] = {{SIPTAG_ACCEPT_STR("application/sdp")}, {TAG_END()}};
    return reject(415, "Unsupported Media Type", t);
  }
  std::string body = payload_of(sip);
  if (body.empty()) return reject_warning(488, "Not Acceptable Here", "an SDP offer in the INVITE is required");
  auto offer = parse_sdp(body);
  if (!offer) return reject_warning(488, "Not Acceptable Here", offer.message());
  auto codecs = loaded_codecs(s_.core, ep->codecs);
  if (codecs.empty())
    return reject_warning(488, "Not Acceptable Here", "no codec endpoint " + ep->name + " allows is loaded");
  auto choice = negotiate(*offer, codecs, ep->telephone_event, Preference::Ours);
  if (!choice) return reject_warning(488, "Not Acceptable Here", choice.message());
  if (!s_.core.find_codec(choice->codec))
    return reject_warning(488, "Not Acceptable Here", "codec " + choice->codec + " is not loaded");

  const url_t* ruri = sip->sip_request ? sip->sip_request->rq_url : nullptr;
  std::string exten = ruri && ruri->url_user ? ruri->url_user : "";
  if (exten.empty()) return reject(404, "Not Found");

  InboundCall call;
  call.id = s_.new_leg_id();
  call.endpoint = *ep;
  call.exten = exten;
  call.caller = ep->callerid;
  if (call.caller.name.empty() && sip->sip_from && sip->sip_from->a_display)
    call.caller.name = parse_callerid(sip->sip_from->a_display).number;
  call.media = *choice;
  call.source = source;

  auto leg = std::make_unique<SofiaLeg>();
  leg->id = call.id;
  leg->nh = nh;
  leg->direction = Direction::Inbound;
  leg->loop = &s_.core.loops().pick_worker();
  leg->endpoint = ep->name;
  leg->codecs = ep->codecs;
  leg->dtmf = ep->telephone_event;
  nua_handle_bind(nh, leg.get());
  // NAT: in-dialog requests (BYE, re-INVITE) go where the INVITE came from, not to a Contact
  // naming an address behind the phone's NAT.
  const SourceAddress from = request_address(nua_);
  if (needs_next_hop(ep->nat, sip->sip_via, from)) {
    std::string hop = from.next_hop();
    nua_set_hparams(nh, NUTAG_PROXY(URL_STRING_MAKE(hop.c_str())), TAG_END());
    log(LogLevel::Verbose, kSource, "call ", call.id, " (nat): in-dialog requests go to ", hop);
  }
  Loop* loop = leg->loop;
  legs_.emplace(call.id, std::move(leg));
  log(LogLevel::Verbose, kSource, "INVITE from ", ep->name, " (", source, ") to ", exten, ", call ", call.id);
  s_.router.post(*loop, [&s = s_, loop, call = std::move(call)]() mutable {
    start_inbound_call(s, *loop, std::move(call));
  });
}

const Endpoint* SipAgent::authenticate(nua_handle_s* nh, const sip_s* sip, const SipConfig& cfg,
                                       const char* method, const std::string& source) {
  const int64_t now = wall_seconds();
  auto refuse = [&](int code, const char* phrase, tagi_t const* extra = nullptr) {
    nua_respond(nh, code, phrase, NUTAG_WITH_THIS(nua_), TAG_NEXT(extra));
    nua_handle_destroy(nh);
    return nullptr;
  };
  auto challenge = [&](bool stale) {
    auto h = s_.auth.challenge(cfg.realm, stale, now);
    tagi_t t[] = {{SIPTAG_PROXY_AUTHENTICATE_STR(h.c_str())}, {TAG_END()}};
    return refuse(407, "Proxy Authentication Required", t);
  };
  auto creds = find_credentials(sip->sip_proxy_authorization, cfg.realm);
  if (!creds) return challenge(false);
  const Endpoint* ep = cfg.endpoint(creds->username);
  auto verdict = s_.auth.verify(*creds, method, cfg.realm, ep ? &ep->secret : nullptr, now);
  if (verdict == DigestAuth::Verdict::Stale) return challenge(true);
  if (verdict != DigestAuth::Verdict::Ok) {
    log(LogLevel::Notice, kSource, method, " from ", source, " as '", creds->username,
        "' refused: ", ep ? "wrong password" : "no such endpoint");
    return refuse(403, "Forbidden");
  }
  return ep;
}

void SipAgent::handle_subscribe(nua_handle_s* nh, const sip_s* sip) {
  auto cfg = s_.config.get();
  const Endpoint* ep = authenticate(nh, sip, *cfg, "SUBSCRIBE", request_source(nua_));
  if (ep) subscriptions_.subscribe(nh, sip, *ep);
}

void SipAgent::handle_reinvite(SofiaLeg& leg, nua_handle_s* nh, const sip_s* sip) {
  if (leg.local_sdp.empty()) {
    nua_respond(nh, 488, "Not Acceptable Here", TAG_END());
    return;
  }
  if (leg.reinvite_pending) {
    nua_respond(nh, 491, "Request Pending", TAG_END());
    return;
  }
  std::string body = is_sdp(sip) ? payload_of(sip) : std::string();
  if (body.empty()) {
    // No offer (a session refresh): ours again, unchanged.
    nua_respond(nh, 200, "OK", SIPTAG_CONTENT_TYPE_STR("application/sdp"),
                SIPTAG_PAYLOAD_STR(leg.local_sdp.c_str()), TAG_END());
    return;
  }
  auto offer = parse_sdp(body);
  Result<MediaChoice> choice = offer ? negotiate(*offer, leg.codecs, leg.dtmf, Preference::Ours) : Result<MediaChoice>(offer.error());
  if (!choice) {
    log(LogLevel::Notice, kSource, "call ", leg.id, ": re-INVITE refused: ", choice.message());
    nua_respond(nh, 488, "Not Acceptable Here", TAG_END());
    return;
  }
  // The worker applies the new media (address, hold) and answers through answer_reinvite().
  leg.reinvite_pending = true;
  s_.router.post(*leg.loop, leg.id, [c = *choice](CallLeg& l) { l.remote_reinvite(c); });
}

void SipAgent::handle_info(SofiaLeg& leg, nua_handle_s* nh, const sip_s* sip) {
  const char* type = sip->sip_content_type && sip->sip_content_type->c_type ? sip->sip_content_type->c_type : "";
  if (!is_dtmf_info_type(type)) {
    // Other INFO packages (picture fast update, ...) are not ours: no harm, no effect.
    tagi_t t[] = {{SIPTAG_ACCEPT_STR("application/dtmf-relay, application/dtmf")}, {TAG_END()}};
    nua_respond(nh, 415, "Unsupported Media Type", NUTAG_WITH_THIS(nua_), TAG_NEXT(t));
    return;
  }
  auto digit = parse_dtmf_info(type, payload_of(sip));
  if (!digit) {
    log(LogLevel::Notice, kSource, "call ", leg.id, ": INFO refused: ", digit.message());
    nua_respond(nh, 400, "Bad Request", NUTAG_WITH_THIS(nua_), TAG_END());
    return;
  }
  nua_respond(nh, 200, "OK", NUTAG_WITH_THIS(nua_), TAG_END());
  s_.router.post(*leg.loop, leg.id, [d = *digit](CallLeg& l) { l.remote_dtmf(d); });
}

void SipAgent::handle_invite_response(SofiaLeg& leg, int status, const char* phrase, const sip_s* sip) {
  if (status < 101) return;
  Loop& loop = *leg.loop;
  const uint64_t id = leg.id;
  if (status < 200) {
    if (leg.local_hangup) return;
    std::string body = payload_of(sip);
    std::optional<MediaChoice> early;
    if (!body.empty()) {
      if (auto sdp = parse_sdp(body); sdp) {
        if (auto c = negotiate(*sdp, leg.codecs, leg.dtmf, Preference::Theirs); c) early = *c;
      }
    }
    if (status == 183 || early) {
      s_.router.post(loop, id, [early](CallLeg& l) { l.remote_progress(early); });
    } else {
      s_.router.post(loop, id, [](CallLeg& l) { l.remote_ringing(); });
    }
    return;
  }
  if (status < 300) {
    leg.answered = true;
    if (leg.local_hangup) {
      nua_bye(leg.nh, TAG_END());  // answered while we were cancelling
      return;
    }
    auto sdp = parse_sdp(payload_of(sip));
    Result<MediaChoice> choice = sdp ? negotiate(*sdp, leg.codecs, leg.dtmf, Preference::Theirs) : Result<MediaChoice>(sdp.error());
    if (!choice) {
      log(LogLevel::Warning, kSource, "call ", id, " to ", leg.endpoint, ": unusable SDP answer: ", choice.message());
      nua_bye(leg.nh, TAG_END());
      tell_hangup(leg, HangupCause::Failure);
      return;
    }
    s_.router.post(loop, id, [c = *choice](CallLeg& l) { l.remote_answered(c); });
    return;
  }
  log(LogLevel::Verbose, kSource, "call ", id, " to ", leg.endpoint, " failed: ", status, " ", phrase ? phrase : "");
  tell_hangup(leg, cause_for_status(status));
}

void SipAgent::handle_state(SofiaLeg* leg, int callstate) {
  if (callstate != nua_callstate_terminated) return;
  tell_hangup(*leg, leg->answered ? HangupCause::Normal : HangupCause::Failure);
  release(*leg);
}

void SipAgent::tell_hangup(SofiaLeg& leg, HangupCause cause) {
  if (leg.told) return;
  leg.told = true;
  s_.router.post(*leg.loop, leg.id, [cause](CallLeg& l) { l.remote_hangup(cause); });
}

void SipAgent::release(SofiaLeg& leg) {
  nua_handle_bind(leg.nh, nullptr);
  nua_handle_destroy(leg.nh);
  legs_.erase(leg.id);
}

void SipAgent::purge_registrations() {
  for (auto& b : s_.registrar.purge(Registrar::Clock::now())) {
    log(LogLevel::Notice, kSource, "endpoint ", b.endpoint, ": registration of ", b.contact, " expired");
    Event e;
    e.type = "Registration";
    e.add("endpoint", b.endpoint).add("contact", b.contact).add("expires", "0").add("status", "Expired");
    s_.core.events().publish(std::move(e));
  }
}

}  // namespace zvon::sip
