// What chan_sip tells the core's device states about its endpoints: SIP/<name> is NOT_INUSE
// while it has a live registration and UNAVAILABLE while it has none (the core adds what its
// calls' channels say). Refreshed on every Registration event (REGISTER, expiry, a binding
// restored from the database) and when sip.conf is (re)loaded; forgotten (UNKNOWN) when the
// module goes. Any thread.
#pragma once
#include <mutex>
#include <set>
#include <string>

#include "zvon/module.h"

namespace zvon::sip {

struct SipShared;

class EndpointDeviceStates {
 public:
  explicit EndpointDeviceStates(SipShared& shared) : s_(shared) {}
  ~EndpointDeviceStates();
  EndpointDeviceStates(const EndpointDeviceStates&) = delete;
  EndpointDeviceStates& operator=(const EndpointDeviceStates&) = delete;

  // Listens to Registration events and reports every endpoint of the configuration.
  void start();
  // Every endpoint again, and UNKNOWN for those sip.conf no longer has (after a reload).
  void refresh_all();

 private:
  void refresh(const std::string& endpoint);

  SipShared& s_;
  std::mutex mutex_;  // guards reported_
  std::set<std::string> reported_;
  Registration events_;
};

}  // namespace zvon::sip
