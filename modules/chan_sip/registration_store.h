// Keeps the registrar's bindings in PostgreSQL (table sip_registrations) so that a restarted
// zvon still knows where the phones are, and restores the live ones at start. Without a
// database (pgsql.conf unusable, or the server away) chan_sip works as before: the bindings
// live in memory only, and the store catches up with the next REGISTER of each phone.
//
// Threads: construct and destroy on the core loop (module load/unload). saved()/removed()
// from any thread (the SIP thread): they post to the core loop, where the pool lives.
#pragma once
#include <memory>
#include <string>

#include "registrar.h"
#include "zvon/core.h"

namespace zvon::pg {
class Pool;
}

namespace zvon::sip {

class RegistrationStore {
 public:
  // Connects in the background; once connected, adds the stored live bindings that
  // `registrar` does not have yet.
  RegistrationStore(Core& core, Registrar& registrar);
  ~RegistrationStore();
  RegistrationStore(const RegistrationStore&) = delete;
  RegistrationStore& operator=(const RegistrationStore&) = delete;

  void saved(const Binding& b, int expires_seconds);
  void removed(const std::string& endpoint, const std::string& contact);
  void removed_all(const std::string& endpoint);

  // "restored 2 bindings", "not configured: ...", for `sip show registry status`.
  std::string status() const;

 private:
  struct State;
  void run(std::string sql, std::vector<std::string> params);
  void restore();

  Core& core_;
  Registrar& registrar_;
  std::shared_ptr<State> state_;  // the core loop's; posted jobs hold it weakly
};

}  // namespace zvon::sip
