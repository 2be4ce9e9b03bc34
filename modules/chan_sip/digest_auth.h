// HTTP digest authentication (RFC 2617 / RFC 3261 §22), MD5, qop=auth or none.
// Nonces are stateless: a timestamp signed with a per-process random key, so a challenge costs
// no memory and an unknown user is handled by exactly the same code path as a known one.
// Thread-safe after construction (const).
#pragma once
#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace zvon::sip {

struct DigestCredentials {
  std::string username;
  std::string realm;
  std::string nonce;
  std::string uri;
  std::string response;
  std::string algorithm;
  std::string qop;
  std::string nc;
  std::string cnonce;
};

// Reads the parameters of an Authorization header (already split by the SIP parser into
// "name=value" strings, values possibly quoted). Nullopt when a required one is missing.
std::optional<DigestCredentials> parse_digest_params(const std::vector<std::string_view>& params);

std::string md5_hex(std::string_view text);

class DigestAuth {
 public:
  // Nonces live this long before a request using one gets a new challenge with stale=true.
  static constexpr int64_t kNonceLifetimeSeconds = 300;

  DigestAuth();

  // The WWW-Authenticate / Proxy-Authenticate value for `realm`.
  std::string challenge(std::string_view realm, bool stale, int64_t now_seconds) const;

  enum class Verdict {
    Ok,
    Stale,     // a correct-looking nonce of ours that has expired: challenge again (stale=true)
    Rejected,  // wrong password, unknown user, forged nonce or malformed answer
  };
  // `secret` is null for an unknown user: the answer is computed all the same, so an unknown
  // user and a wrong password cannot be told apart, not even by timing.
  Verdict verify(const DigestCredentials& c, std::string_view method, std::string_view realm,
                 const std::string* secret, int64_t now_seconds) const;

 private:
  std::string make_nonce(int64_t now_seconds) const;
  // Nullopt for a nonce we did not make; else its timestamp.
  std::optional<int64_t> nonce_time(std::string_view nonce) const;

  std::string key_;
  std::string dummy_secret_;
};

}  // namespace zvon::sip
