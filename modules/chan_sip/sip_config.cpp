#include "sip_config.h"

#include <arpa/inet.h>

#include <algorithm>
#include <cctype>

#include "zvon/log.h"

namespace zvon::sip {
namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = char(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string trim(std::string_view s) {
  size_t b = 0, e = s.size();
  while (b < e && std::isspace(static_cast<unsigned char>(s[b]))) ++b;
  while (e > b && std::isspace(static_cast<unsigned char>(s[e - 1]))) --e;
  return std::string(s.substr(b, e - b));
}

std::vector<std::string> split_list(std::string_view s) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= s.size()) {
    size_t comma = s.find(',', start);
    if (comma == std::string_view::npos) comma = s.size();
    auto item = lower(trim(s.substr(start, comma - start)));
    if (!item.empty()) out.push_back(item);
    start = comma + 1;
  }
  return out;
}

bool valid_ipv4(const std::string& a) {
  in_addr tmp{};
  return inet_pton(AF_INET, a.c_str(), &tmp) == 1;
}

std::string where(const ConfigSection& s, std::string_view key) {
  if (auto* e = s.entry(key)) return e->pos.str();
  return s.pos.str();
}

// A pair like minexpiry / maxexpiry (seconds, 1 to `limit`): `min` and `max` keep their
// defaults when absent, and the lower may not exceed the upper.
Result<void> read_bounds(const ConfigSection& g, std::string_view min_key, std::string_view max_key, int limit,
                         int& min, int& max) {
  auto lo = g.get_int(min_key, min, 1, limit);
  if (!lo) return lo.error();
  auto hi = g.get_int(max_key, max, 1, limit);
  if (!hi) return hi.error();
  if (*lo > *hi)
    return make_error(cat(where(g, min_key), ": ", min_key, " (", *lo, ") is larger than ", max_key, " (", *hi, ")"));
  min = *lo;
  max = *hi;
  return {};
}

Result<void> read_general(const ConfigSection& g, SipConfig& c) {
  c.bind_address = trim(g.get_or("bind", c.bind_address));
  if (!valid_ipv4(c.bind_address))
    return make_error(cat(where(g, "bind"), ": bind must be an IPv4 address such as 127.0.0.1, not '",
                          c.bind_address, "'"));
  auto port = g.get_int("port", c.port, 1, 65535);
  if (!port) return port.error();
  c.port = *port;

  if (auto t = g.get("transports")) {
    c.udp = c.tcp = false;
    for (auto& item : split_list(*t)) {
      if (item == "udp") c.udp = true;
      else if (item == "tcp") c.tcp = true;
      else
        return make_error(cat(where(g, "transports"), ": unknown transport '", item,
                              "' (udp and tcp are supported)"));
    }
    if (!c.udp && !c.tcp)
      return make_error(cat(where(g, "transports"), ": transports must name udp, tcp or both"));
  }

  c.media_address = trim(g.get_or("media_address", ""));
  if (c.media_address.empty())
    c.media_address = c.bind_address == "0.0.0.0" ? "127.0.0.1" : c.bind_address;
  if (!valid_ipv4(c.media_address))
    return make_error(cat(where(g, "media_address"), ": media_address must be an IPv4 address"));
  c.realm = trim(g.get_or("realm", c.realm));
  if (c.realm.empty() || c.realm.find('"') != std::string::npos)
    return make_error(cat(where(g, "realm"), ": realm must be a non-empty word without quotes"));
  c.user_agent = trim(g.get_or("user_agent", c.user_agent));

  if (auto r = read_bounds(g, "minexpiry", "maxexpiry", 86400 * 7, c.min_expiry, c.max_expiry); !r) return r;
  auto defx = g.get_int("defaultexpiry", c.default_expiry, 1, 86400 * 7);
  if (!defx) return defx.error();
  c.default_expiry = std::clamp(*defx, c.min_expiry, c.max_expiry);

  if (auto r = read_bounds(g, "subminexpiry", "submaxexpiry", 86400, c.sub_min_expiry, c.sub_max_expiry); !r)
    return r;
  auto maxsubs = g.get_int("maxsubscriptions", c.max_subscriptions, 0, 1000000);
  if (!maxsubs) return maxsubs.error();
  c.max_subscriptions = *maxsubs;
  return {};
}

bool is_dtmf_name(std::string_view item) {
  return item == "telephone-event" || item == "rfc2833" || item == "rfc4733" || item == "dtmf";
}

// allow= and disallow= lines in file order (a template's first), as Asterisk reads them:
// `disallow = all` empties the list, `allow = opus,g722` appends in order of preference,
// `disallow = g722` takes one out. telephone-event is allowed and disallowed the same way.
Result<void> read_codecs(const ConfigSection& s, Endpoint& e) {
  bool any = false;
  e.codecs.clear();
  e.telephone_event = false;
  for (const auto& entry : s.entries) {
    std::string key = lower(trim(entry.key));
    if (key != "allow" && key != "disallow") continue;
    any = true;
    for (auto& item : split_list(entry.value)) {
      if (key == "disallow" && item == "all") {
        e.codecs.clear();
        e.telephone_event = false;
        continue;
      }
      if (is_dtmf_name(item)) {
        e.telephone_event = key == "allow";
        continue;
      }
      const CodecPref* known = known_codec(item);
      if (!known)
        return make_error(cat(entry.pos.str(), ": unknown codec '", item,
                              "' (ulaw, alaw, g722, opus, telephone-event and, for disallow, all)"));
      std::erase_if(e.codecs, [&](const CodecPref& p) { return p.sdp_name == known->sdp_name; });
      if (key == "allow") e.codecs.push_back(*known);
    }
  }
  if (!any) {
    e.codecs = {*known_codec("ulaw"), *known_codec("alaw")};
    e.telephone_event = true;
  }
  if (e.codecs.empty())
    return make_error(cat(where(s, "allow"), ": endpoint [", e.name, "] allows no audio codec"));
  return {};
}

Result<void> read_endpoint(const ConfigSection& s, SipConfig& c) {
  Endpoint e;
  e.name = s.name;
  for (char ch : e.name) {
    if (!(std::isalnum(static_cast<unsigned char>(ch)) || ch == '-' || ch == '_' || ch == '.'))
      return make_error(cat(s.pos.str(), ": endpoint name '", e.name,
                            "' may hold only letters, digits, '-', '_' and '.'"));
  }
  auto secret = s.get("secret");
  if (!secret || secret->empty())
    return make_error(cat(s.pos.str(), ": endpoint [", e.name, "] has no secret="));
  e.secret = std::string(*secret);
  e.context = trim(s.get_or("context", "default"));
  if (auto cid = s.get("callerid")) e.callerid = parse_callerid(*cid);
  if (e.callerid.number.empty()) e.callerid.number = e.name;

  if (auto r = read_codecs(s, e); !r) return r.error();

  auto dtmf = lower(trim(s.get_or("dtmfmode", "auto")));
  if (dtmf == "rfc4733" || dtmf == "rfc2833") e.dtmf_mode = DtmfMode::Rfc4733;
  else if (dtmf == "inband") e.dtmf_mode = DtmfMode::Inband;
  else if (dtmf == "info") e.dtmf_mode = DtmfMode::Info;
  else if (dtmf == "auto") e.dtmf_mode = DtmfMode::Auto;
  else
    return make_error(cat(where(s, "dtmfmode"), ": dtmfmode '", dtmf,
                          "' is not one of rfc4733, inband, info, auto"));
  // Keys come as tones or INFO: offering telephone-event would invite the other way.
  if (e.dtmf_mode == DtmfMode::Inband || e.dtmf_mode == DtmfMode::Info) e.telephone_event = false;

  auto nat = lower(trim(s.get_or("nat", "auto")));
  if (nat == "yes" || nat == "force_rport,comedia") e.nat = NatMode::Yes;
  else if (nat == "no") e.nat = NatMode::No;
  else if (nat == "auto") e.nat = NatMode::Auto;
  else return make_error(cat(where(s, "nat"), ": nat '", nat, "' is not one of yes, no, auto"));
  c.endpoints.emplace(e.name, std::move(e));
  return {};
}

}  // namespace

const CodecPref* known_codec(std::string_view name) {
  static const CodecPref kKnown[] = {
      {"PCMU", 0, 8000, 1, ""},
      {"PCMA", 8, 8000, 1, ""},
      {"G722", 9, 8000, 1, ""},  // 16 kHz audio on an 8000 RTP clock (RFC 3551)
      {"opus", -1, 48000, 2, ""},
  };
  std::string n = lower(name);
  if (n == "ulaw" || n == "pcmu" || n == "g711u") return &kKnown[0];
  if (n == "alaw" || n == "pcma" || n == "g711a") return &kKnown[1];
  if (n == "g722") return &kKnown[2];
  if (n == "opus") return &kKnown[3];
  return nullptr;
}

CallerId parse_callerid(std::string_view text) {
  CallerId id;
  std::string t = trim(text);
  auto lt = t.find('<');
  auto gt = t.rfind('>');
  if (lt != std::string::npos && gt != std::string::npos && gt > lt) {
    id.number = trim(std::string_view(t).substr(lt + 1, gt - lt - 1));
    std::string name = trim(std::string_view(t).substr(0, lt));
    if (name.size() >= 2 && name.front() == '"' && name.back() == '"')
      name = name.substr(1, name.size() - 2);
    id.name = name;
  } else {
    id.number = t;
  }
  return id;
}

Result<std::shared_ptr<const SipConfig>> build_sip_config(const Config& sip, const Config* rtp) {
  auto c = std::make_shared<SipConfig>();
  if (auto* g = sip.section("general")) {
    if (auto r = read_general(*g, *c); !r) return r.error();
  }
  for (auto& s : sip.sections()) {
    if (s.is_template || s.name == "general") continue;
    auto type = lower(trim(s.get_or("type", "")));
    if (type == "endpoint" || type == "friend" || type == "peer" || type == "user") {
      if (auto r = read_endpoint(s, *c); !r) return r.error();
    } else {
      return make_error(cat(s.pos.str(), ": section [", s.name,
                            "] needs type=endpoint (the only kind chan_sip knows)"));
    }
  }
  if (rtp) {
    if (auto* g = rtp->section("general")) {
      auto start = g->get_int("rtpstart", 10000, 1024, 65534);
      if (!start) return start.error();
      auto end = g->get_int("rtpend", 20000, 1025, 65535);
      if (!end) return end.error();
      if (*end <= *start)
        return make_error(cat(where(*g, "rtpend"), ": rtpend (", *end,
                              ") must be above rtpstart (", *start, ")"));
      c->rtp_ports.min = uint16_t(*start);
      c->rtp_ports.max = uint16_t(*end);
      auto warn = g->get_int("media_warning", c->media_warning_seconds, 0, 3600);
      if (!warn) return warn.error();
      c->media_warning_seconds = *warn;
      auto& jb = c->jitter_buffer;
      auto enable = g->get_bool("jbenable", jb.enabled);
      if (!enable) return enable.error();
      auto min = g->get_int("jbminsize", jb.min_ms, 0, 500);
      if (!min) return min.error();
      auto max = g->get_int("jbmaxsize", jb.max_ms, 20, 500);
      if (!max) return max.error();
      if (*max < *min)
        return make_error(cat(where(*g, "jbmaxsize"), ": jbmaxsize (", *max, " ms) is below jbminsize (",
                              *min, " ms)"));
      auto resync = g->get_int("jbresyncthreshold", jb.resync_ms, 100, 60000);
      if (!resync) return resync.error();
      jb = JitterBufferSettings{*enable, *min, *max, *resync};
    }
  }
  return std::shared_ptr<const SipConfig>(std::move(c));
}

}  // namespace zvon::sip
