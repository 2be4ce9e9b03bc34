#include "digest_auth.h"

#include <sofia-sip/su_md5.h>

#include <cctype>
#include <charconv>
#include <random>

#include "zvon/text.h"

namespace zvon::sip {
namespace {

std::string unquote(std::string_view v) {
  if (v.size() >= 2 && v.front() == '"' && v.back() == '"') {
    std::string out;
    for (size_t i = 1; i + 1 < v.size(); ++i) {
      if (v[i] == '\\' && i + 2 < v.size()) ++i;
      out += v[i];
    }
    return out;
  }
  return std::string(v);
}

std::string random_hex(size_t bytes) {
  std::random_device rd;
  static const char* hex = "0123456789abcdef";
  std::string out;
  for (size_t i = 0; i < bytes; ++i) {
    auto b = rd() & 0xff;
    out += hex[b >> 4];
    out += hex[b & 15];
  }
  return out;
}

// Compares without an early exit, so the time taken does not tell how much matched.
bool equal_constant_time(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  unsigned diff = 0;
  for (size_t i = 0; i < a.size(); ++i)
    diff |= unsigned(std::tolower(static_cast<unsigned char>(a[i])) ^
                     std::tolower(static_cast<unsigned char>(b[i])));
  return diff == 0;
}

}  // namespace

std::string md5_hex(std::string_view text) {
  su_md5_t ctx;
  su_md5_init(&ctx);
  su_md5_update(&ctx, text.data(), text.size());
  char out[2 * SU_MD5_DIGEST_SIZE + 1];
  su_md5_hexdigest(&ctx, out);
  su_md5_deinit(&ctx);
  return std::string(out, 2 * SU_MD5_DIGEST_SIZE);
}

std::optional<DigestCredentials> parse_digest_params(const std::vector<std::string_view>& params) {
  DigestCredentials c;
  for (auto p : params) {
    auto eq = p.find('=');
    if (eq == std::string_view::npos) continue;
    auto name = p.substr(0, eq);
    while (!name.empty() && std::isspace(static_cast<unsigned char>(name.back()))) name.remove_suffix(1);
    auto value = p.substr(eq + 1);
    while (!value.empty() && std::isspace(static_cast<unsigned char>(value.front()))) value.remove_prefix(1);
    std::string v = unquote(value);
    if (iequals(name, "username")) c.username = v;
    else if (iequals(name, "realm")) c.realm = v;
    else if (iequals(name, "nonce")) c.nonce = v;
    else if (iequals(name, "uri")) c.uri = v;
    else if (iequals(name, "response")) c.response = v;
    else if (iequals(name, "algorithm")) c.algorithm = v;
    else if (iequals(name, "qop")) c.qop = v;
    else if (iequals(name, "nc")) c.nc = v;
    else if (iequals(name, "cnonce")) c.cnonce = v;
  }
  if (c.username.empty() || c.nonce.empty() || c.uri.empty() || c.response.empty())
    return std::nullopt;
  return c;
}

DigestAuth::DigestAuth() : key_(random_hex(16)), dummy_secret_(random_hex(8)) {}

std::string DigestAuth::make_nonce(int64_t now) const {
  std::string t = std::to_string(now);
  return t + "-" + md5_hex(key_ + ":" + t).substr(0, 16);
}

std::optional<int64_t> DigestAuth::nonce_time(std::string_view nonce) const {
  auto dash = nonce.find('-');
  if (dash == std::string_view::npos || dash == 0) return std::nullopt;
  auto t = nonce.substr(0, dash);
  int64_t value = 0;
  auto [ptr, ec] = std::from_chars(t.data(), t.data() + t.size(), value);
  if (ec != std::errc() || ptr != t.data() + t.size()) return std::nullopt;
  auto expect = md5_hex(key_ + ":" + std::string(t)).substr(0, 16);
  if (!equal_constant_time(nonce.substr(dash + 1), expect)) return std::nullopt;
  return value;
}

std::string DigestAuth::challenge(std::string_view realm, bool stale, int64_t now) const {
  std::string h = "Digest realm=\"" + std::string(realm) + "\", nonce=\"" + make_nonce(now) +
                  "\", algorithm=MD5, qop=\"auth\"";
  if (stale) h += ", stale=TRUE";
  return h;
}

DigestAuth::Verdict DigestAuth::verify(const DigestCredentials& c, std::string_view method,
                                       std::string_view realm, const std::string* secret,
                                       int64_t now) const {
  // Every branch below computes the full answer, whether the user exists or not.
  const std::string& pw = secret ? *secret : dummy_secret_;
  std::string ha1 = md5_hex(c.username + ":" + std::string(realm) + ":" + pw);
  std::string ha2 = md5_hex(std::string(method) + ":" + c.uri);
  std::string expected;
  bool well_formed = c.realm == realm && (c.algorithm.empty() || iequals(c.algorithm, "MD5"));
  if (c.qop.empty()) {
    expected = md5_hex(ha1 + ":" + c.nonce + ":" + ha2);
  } else {
    well_formed = well_formed && iequals(c.qop, "auth") && !c.nc.empty() && !c.cnonce.empty();
    expected = md5_hex(ha1 + ":" + c.nonce + ":" + c.nc + ":" + c.cnonce + ":" + c.qop + ":" + ha2);
  }
  bool match = equal_constant_time(expected, c.response);
  auto t = nonce_time(c.nonce);
  if (!t) return Verdict::Rejected;
  // An expired nonce is answered with a new challenge whatever the password: that answer
  // must not depend on whether the user exists either.
  if (now - *t > kNonceLifetimeSeconds || *t > now + 5) return Verdict::Stale;
  if (!well_formed || !secret || !match) return Verdict::Rejected;
  return Verdict::Ok;
}

}  // namespace zvon::sip
