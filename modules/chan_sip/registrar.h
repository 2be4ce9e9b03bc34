// The registrar: where each endpoint can be reached (its REGISTERed contacts), with expiry.
// Written by the SIP thread, read by workers (Dial's request()) and the console. Any thread;
// a short mutex guards it (registrations and call set-up, never per packet).
#pragma once
#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace zvon::sip {

struct Binding {
  using Clock = std::chrono::steady_clock;
  std::string endpoint;
  std::string contact;     // the Contact URI to send requests to
  std::string source;      // "udp 127.0.0.1:5062": where the REGISTER came from
  // NAT (nat=yes/auto): "sip:host:port;transport=udp" where requests are really sent, the
  // REGISTER's source, while the Request-URI stays `contact`. Empty: send to the contact.
  std::string next_hop;
  std::string user_agent;
  std::string call_id;
  uint32_t cseq = 0;
  Clock::time_point registered_at;
  Clock::time_point expires_at;

  int64_t seconds_left(Clock::time_point now) const {
    return std::chrono::duration_cast<std::chrono::seconds>(expires_at - now).count();
  }
};

class Registrar {
 public:
  using Clock = Binding::Clock;
  static constexpr size_t kMaxBindingsPerEndpoint = 10;

  enum class Change { Added, Refreshed, Removed, Unchanged, Refused };
  // Adds or refreshes `b` (matched by contact URI), or removes it when `expires_seconds` is 0.
  // A REGISTER older (same Call-ID, lower CSeq) than the stored one is Unchanged.
  Change update(Binding b, int expires_seconds);
  // Removes every binding of `endpoint` (Contact: *); returns how many.
  size_t remove_all(const std::string& endpoint);

  std::vector<Binding> bindings(const std::string& endpoint, Clock::time_point now) const;
  // The most recently registered live contact of `endpoint`.
  std::optional<Binding> best(const std::string& endpoint, Clock::time_point now) const;
  std::vector<Binding> all(Clock::time_point now) const;
  // Drops and returns the bindings expired at `now`.
  std::vector<Binding> purge(Clock::time_point now);

 private:
  mutable std::mutex mutex_;
  std::map<std::string, std::vector<Binding>> by_endpoint_;
};

}  // namespace zvon::sip
