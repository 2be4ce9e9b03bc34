// The busy lamp fields: phones SUBSCRIBE (Event: dialog or presence) to an extension's hint
// in their endpoint's context and get a NOTIFY with its state now and on every change.
// Sofia's notifier usage keeps each subscription's dialog, answers refreshes and unsubscribes
// (Expires: 0) with 200 and sends the NOTIFY that ends one that expired; this class decides
// whom to accept, writes the bodies, watches the hints (zvon::DeviceStates) and forgets a
// subscription when its last NOTIFY went out or one failed (481, 408), and ends one whose
// hint a dialplan reload removed (NOTIFY terminated;reason=noresource).
//
// Threads: everything on the Sofia thread; the hints' watchers post their changes to it.
#pragma once
#include <cstdint>
#include <memory>
#include <unordered_map>

#include "hint_notify_body.h"
#include "zvon/device_state.h"

struct nua_s;
struct nua_handle_s;
struct sip_s;

namespace zvon::sip {

struct SipShared;
struct Endpoint;

class HintSubscriptions {
 public:
  explicit HintSubscriptions(SipShared& shared) : s_(shared) {}
  ~HintSubscriptions() { clear(); }
  HintSubscriptions(const HintSubscriptions&) = delete;
  HintSubscriptions& operator=(const HintSubscriptions&) = delete;

  void set_nua(nua_s* nua) { nua_ = nua; }
  // A new SUBSCRIBE from the authenticated endpoint `ep` (the stack let only Event: dialog and
  // presence through): answered 202 with the first NOTIFY, or refused (404 no such hint, 406
  // unsupported Accept, 423 Expires too brief, 503 too many subscriptions; the handle is then
  // released).
  void subscribe(nua_handle_s* nh, const sip_s* sip, const Endpoint& ep);
  bool owns(nua_handle_s* nh) const { return by_handle_.count(nh) != 0; }
  // The stack answered a refresh or an unsubscribe on `nh`; `substate` is its NUTAG_SUBSTATE.
  void on_subscribe(nua_handle_s* nh, int substate);
  // The answer to a NOTIFY on `nh`.
  void on_notify_answer(nua_handle_s* nh, int status, int substate);
  // The module goes away: every subscriber gets a last NOTIFY (terminated;reason=noresource),
  // and the subscriptions are released without waiting for the answers.
  void terminate_all();
  // Releases every subscription and its handle (after the stack shut down).
  void clear();
  size_t size() const { return by_handle_.size(); }

 private:
  struct Subscription {
    uint64_t id = 0;
    nua_handle_s* nh = nullptr;
    EventPackage package = EventPackage::Dialog;
    std::string endpoint, exten, context, entity;
    unsigned version = 0;  // of the last dialog-info body sent
    ExtensionState last = ExtensionState::Idle;
    bool ending = false;   // the terminating NOTIFY is on its way
    Registration watch;    // the hint's changes; released first when this goes
  };

  void on_change(uint64_t id, ExtensionState state);
  void notify(Subscription& sub, bool terminate);
  void drop(nua_handle_s* nh);

  SipShared& s_;
  nua_s* nua_ = nullptr;
  uint64_t next_id_ = 1;
  std::unordered_map<nua_handle_s*, std::unique_ptr<Subscription>> by_handle_;
  std::unordered_map<uint64_t, Subscription*> by_id_;
};

}  // namespace zvon::sip
