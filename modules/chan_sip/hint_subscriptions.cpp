#include "sofia_nua.h"

#include "hint_subscriptions.h"

#include <algorithm>

#include "sip_shared.h"
#include "zvon/log.h"

namespace zvon::sip {

namespace {
constexpr const char* kSource = "chan_sip";

// The Accept header's values, joined.
std::string accept_text(const sip_s* sip) {
  std::string out;
  for (const sip_accept_t* a = sip->sip_accept; a; a = a->ac_next) {
    if (!a->ac_type) continue;
    if (!out.empty()) out += ", ";
    out += a->ac_type;
  }
  return out;
}
}  // namespace

void HintSubscriptions::subscribe(nua_handle_s* nh, const sip_s* sip, const Endpoint& ep) {
  auto cfg = s_.config.get();
  auto refuse = [&](int code, const char* phrase, tagi_t const* extra = nullptr) {
    nua_respond(nh, code, phrase, NUTAG_WITH_THIS(nua_), TAG_NEXT(extra));
    nua_handle_destroy(nh);
  };
  const char* event = sip->sip_event && sip->sip_event->o_type ? sip->sip_event->o_type : "";
  auto package = parse_event_package(event);
  if (!package) {  // the stack refuses other events before us; this is a second guard
    tagi_t t[] = {{SIPTAG_ALLOW_EVENTS_STR("dialog, presence")}, {TAG_END()}};
    return refuse(489, "Bad Event", t);
  }
  if (sip->sip_accept && !accepts(*package, accept_text(sip))) {
    std::string type(content_type(*package));
    tagi_t t[] = {{SIPTAG_ACCEPT_STR(type.c_str())}, {TAG_END()}};
    return refuse(406, "Not Acceptable", t);
  }
  const url_t* ruri = sip->sip_request ? sip->sip_request->rq_url : nullptr;
  std::string exten = ruri && ruri->url_user ? ruri->url_user : "";
  auto state = exten.empty() ? std::nullopt : s_.core.device_states().extension_state(exten, ep.context);
  if (!state) {
    log(LogLevel::Notice, kSource, "SUBSCRIBE from ", ep.name, " to '", exten, "' refused: no hint for it in [",
        ep.context, "]");
    return refuse(404, "Not Found");
  }
  int expires = sip->sip_expires ? int(std::min<unsigned long>(sip->sip_expires->ex_delta, 86400 * 7))
                                 : cfg->sub_max_expiry;
  if (expires > 0 && expires < cfg->sub_min_expiry) {
    std::string min = std::to_string(cfg->sub_min_expiry);
    tagi_t t[] = {{SIPTAG_MIN_EXPIRES_STR(min.c_str())}, {TAG_END()}};
    return refuse(423, "Interval Too Brief", t);
  }
  expires = std::min(expires, cfg->sub_max_expiry);
  if (by_handle_.size() >= size_t(cfg->max_subscriptions)) {
    log(LogLevel::Warning, kSource, "SUBSCRIBE from ", ep.name, " refused: ", by_handle_.size(),
        " subscriptions already (sip.conf maxsubscriptions)");
    tagi_t t[] = {{SIPTAG_RETRY_AFTER_STR("60")}, {TAG_END()}};
    return refuse(503, "Service Unavailable", t);
  }

  auto sub = std::make_unique<Subscription>();
  sub->id = next_id_++;
  sub->nh = nh;
  sub->package = *package;
  sub->endpoint = ep.name;
  sub->exten = exten;
  sub->context = ep.context;
  sub->entity = cat("sip:", exten, "@", ruri && ruri->url_host ? ruri->url_host : cfg->realm.c_str());
  // Watch first, then read: a change in between reaches on_change, which compares.
  sub->watch = s_.core.device_states().watch(exten, ep.context, [this, id = sub->id](ExtensionState st) {
    s_.thread.post([this, id, st] { on_change(id, st); });
  });
  sub->last = s_.core.device_states().extension_state(exten, ep.context).value_or(*state);

  std::string expires_text = std::to_string(expires);
  nua_respond(nh, 202, "Accepted", NUTAG_WITH_THIS(nua_), SIPTAG_EXPIRES_STR(expires_text.c_str()), TAG_END());
  Subscription& s = *sub;
  by_id_.emplace(s.id, &s);
  by_handle_.emplace(nh, std::move(sub));
  log(LogLevel::Verbose, kSource, "endpoint ", ep.name, " subscribed to ", exten, "@", ep.context, " (",
      event_name(s.package), ") for ", expires, " s");
  // RFC 6665: the first NOTIFY follows at once (and ends a subscription of Expires: 0).
  notify(s, false);
}

void HintSubscriptions::on_change(uint64_t id, ExtensionState state) {
  auto it = by_id_.find(id);
  if (it == by_id_.end()) return;
  Subscription& sub = *it->second;
  if (sub.ending) return;
  if (!s_.core.device_states().extension_state(sub.exten, sub.context)) {
    // A dialplan reload took the hint away: nothing is left to watch.
    log(LogLevel::Notice, kSource, "the hint ", sub.exten, "@", sub.context, " is gone: ending the subscription of ",
        sub.endpoint);
    sub.last = ExtensionState::Unavailable;
    return notify(sub, true);
  }
  if (state == sub.last) return;
  sub.last = state;
  notify(sub, false);
}

void HintSubscriptions::notify(Subscription& sub, bool terminate) {
  std::string body = sub.package == EventPackage::Dialog
                         ? dialog_info_xml(sub.entity, sub.exten, sub.version++, sub.last)
                         : pidf_xml(sub.entity, sub.exten, sub.last);
  std::string event(event_name(sub.package)), type(content_type(sub.package));
  if (terminate) {
    sub.ending = true;
    nua_notify(sub.nh, NUTAG_SUBSTATE(nua_substate_terminated),
               SIPTAG_SUBSCRIPTION_STATE_STR("terminated;reason=noresource"), SIPTAG_EVENT_STR(event.c_str()),
               SIPTAG_CONTENT_TYPE_STR(type.c_str()), SIPTAG_PAYLOAD_STR(body.c_str()), TAG_END());
    return;
  }
  nua_notify(sub.nh, NUTAG_SUBSTATE(nua_substate_active), SIPTAG_EVENT_STR(event.c_str()),
             SIPTAG_CONTENT_TYPE_STR(type.c_str()), SIPTAG_PAYLOAD_STR(body.c_str()), TAG_END());
}

void HintSubscriptions::on_subscribe(nua_handle_s* nh, int substate) {
  auto it = by_handle_.find(nh);
  if (it == by_handle_.end()) return;
  // The stack answered 200 and resends the last NOTIFY (refresh), or sends the terminating
  // one (Expires: 0); its answer ends the subscription in on_notify_answer.
  if (substate == nua_substate_terminated) {
    it->second->ending = true;
    log(LogLevel::Verbose, kSource, "endpoint ", it->second->endpoint, " unsubscribed from ", it->second->exten,
        "@", it->second->context);
  }
}

void HintSubscriptions::on_notify_answer(nua_handle_s* nh, int status, int substate) {
  auto it = by_handle_.find(nh);
  if (it == by_handle_.end()) return;
  if (status < 200) return;
  if (status >= 300) {
    log(LogLevel::Notice, kSource, "NOTIFY to ", it->second->endpoint, " for ", it->second->exten, "@",
        it->second->context, " failed with ", status, ": subscription dropped");
    return drop(nh);
  }
  if (substate == nua_substate_terminated) drop(nh);
}

void HintSubscriptions::terminate_all() {
  // The last NOTIFY is queued before its handle goes: it still leaves, but the stack's
  // shutdown does not wait for a phone that may never answer it.
  for (auto& [nh, sub] : by_handle_)
    if (!sub->ending) notify(*sub, true);
  clear();
}

void HintSubscriptions::drop(nua_handle_s* nh) {
  auto it = by_handle_.find(nh);
  if (it == by_handle_.end()) return;
  it->second->watch.release();
  by_id_.erase(it->second->id);
  by_handle_.erase(it);
  if (nua_) nua_handle_destroy(nh);  // else the stack is gone, and its handles with it
}

void HintSubscriptions::clear() {
  while (!by_handle_.empty()) drop(by_handle_.begin()->first);
}

}  // namespace zvon::sip
