#include "sdp.h"

#include <arpa/inet.h>

#include <cctype>
#include <charconv>
#include <optional>

#include "zvon/log.h"
#include "zvon/text.h"

namespace zvon::sip {
namespace {

constexpr size_t kMaxSdp = 16 * 1024;

std::vector<std::string_view> words(std::string_view s) {
  std::vector<std::string_view> out;
  size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && s[i] == ' ') ++i;
    size_t b = i;
    while (i < s.size() && s[i] != ' ') ++i;
    if (i > b) out.push_back(s.substr(b, i - b));
  }
  return out;
}

bool to_int(std::string_view s, int& out, int min, int max) {
  if (s.empty()) return false;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && p == s.data() + s.size() && out >= min && out <= max;
}

std::string show(std::string_view line) {
  std::string out;
  for (char c : line.substr(0, 60)) out += std::isprint(static_cast<unsigned char>(c)) ? c : '?';
  return out;
}

// "IN IP4 1.2.3.4" -> address.
Result<std::string> connection_address(std::string_view value) {
  auto w = words(value);
  if (w.size() < 3 || w[0] != "IN")
    return make_error("SDP c= line is not 'IN IP4 <address>': " + show(value));
  if (w[1] != "IP4") return make_error("SDP c= line uses " + std::string(w[1]) + "; only IP4 is supported");
  std::string addr(w[2].substr(0, w[2].find('/')));
  in_addr tmp{};
  if (inet_pton(AF_INET, addr.c_str(), &tmp) != 1)
    return make_error("SDP c= address is not an IPv4 address: " + show(addr));
  return addr;
}

struct StaticType {
  int pt;
  const char* name;
};
constexpr StaticType kStatic[] = {{0, "PCMU"}, {3, "GSM"}, {4, "G723"}, {8, "PCMA"}, {9, "G722"}, {18, "G729"}};

}  // namespace

const char* to_string(SdpDirection d) {
  switch (d) {
    case SdpDirection::SendRecv: return "sendrecv";
    case SdpDirection::SendOnly: return "sendonly";
    case SdpDirection::RecvOnly: return "recvonly";
    case SdpDirection::Inactive: return "inactive";
  }
  return "sendrecv";
}

SdpDirection answer_direction(SdpDirection offered) {
  if (offered == SdpDirection::SendOnly) return SdpDirection::RecvOnly;
  if (offered == SdpDirection::RecvOnly) return SdpDirection::SendOnly;
  return offered;
}

Result<SdpAudio> parse_sdp(std::string_view text) {
  if (text.empty()) return make_error("empty SDP");
  if (text.size() > kMaxSdp) return make_error("SDP larger than 16 KiB");

  std::string session_address;
  bool seen_version = false;
  bool in_audio = false, have_audio = false, done = false;
  SdpAudio audio;
  std::string media_address;
  std::optional<SdpDirection> session_direction, media_direction;
  bool seen_media = false;
  auto direction_of = [](std::string_view v) -> std::optional<SdpDirection> {
    if (v == "sendrecv") return SdpDirection::SendRecv;
    if (v == "sendonly") return SdpDirection::SendOnly;
    if (v == "recvonly") return SdpDirection::RecvOnly;
    if (v == "inactive") return SdpDirection::Inactive;
    return std::nullopt;
  };

  size_t pos = 0;
  int line_no = 0;
  while (pos < text.size()) {
    size_t nl = text.find('\n', pos);
    if (nl == std::string_view::npos) nl = text.size();
    std::string_view line = text.substr(pos, nl - pos);
    pos = nl + 1;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    ++line_no;
    if (line.empty()) continue;
    if (line.size() < 2 || line[1] != '=' || !std::islower(static_cast<unsigned char>(line[0])))
      return make_error("SDP line " + std::to_string(line_no) + " is not 'x=value': " + show(line));
    for (char c : line)
      if (c == '\0') return make_error("SDP line " + std::to_string(line_no) + " holds a NUL byte");
    char type = line[0];
    std::string_view value = line.substr(2);
    if (!seen_version) {
      if (type != 'v' || value != "0") return make_error("SDP does not start with v=0");
      seen_version = true;
      continue;
    }
    if (type == 'm') {
      seen_media = true;
      if (in_audio) done = true;  // only the first usable audio stream is used
      in_audio = false;
      if (done) continue;
      auto w = words(value);
      if (w.size() < 4) return make_error("SDP m= line is incomplete: " + show(line));
      int port = 0;
      if (!to_int(w[1].substr(0, w[1].find('/')), port, 0, 65535))
        return make_error("SDP m= line has a bad port: " + show(line));
      if (w[0] != "audio" || port == 0 || w[2] != "RTP/AVP") continue;
      audio.port = uint16_t(port);
      audio.formats.clear();
      for (size_t i = 3; i < w.size(); ++i) {
        int pt = 0;
        if (!to_int(w[i], pt, 0, 127)) return make_error("SDP m= line has a bad payload type: " + show(line));
        SdpFormat f;
        f.pt = pt;
        for (auto& s : kStatic)
          if (s.pt == pt) f.name = s.name;
        audio.formats.push_back(f);
      }
      in_audio = have_audio = true;
      media_address.clear();
      media_direction.reset();
    } else if (type == 'c') {
      auto a = connection_address(value);
      if (!a) return a.error();
      if (in_audio) media_address = *a;
      else if (!have_audio) session_address = *a;
    } else if (type == 'a' && !seen_media) {
      if (auto d = direction_of(value)) session_direction = d;
    } else if (type == 'a' && in_audio) {
      if (auto d = direction_of(value)) {
        media_direction = d;
      } else if (value.substr(0, 7) == "rtpmap:") {
        auto rest = value.substr(7);
        auto sp = rest.find(' ');
        int pt = 0;
        if (sp == std::string_view::npos || !to_int(rest.substr(0, sp), pt, 0, 127))
          return make_error("SDP rtpmap is malformed: " + show(line));
        auto enc = rest.substr(sp + 1);
        auto slash = enc.find('/');
        if (slash == std::string_view::npos || slash == 0)
          return make_error("SDP rtpmap has no clock rate: " + show(line));
        int rate = 0, channels = 1;
        auto rate_text = enc.substr(slash + 1);
        auto slash2 = rate_text.find('/');
        if (slash2 != std::string_view::npos) {
          if (!to_int(rate_text.substr(slash2 + 1), channels, 1, 255))
            return make_error("SDP rtpmap has a bad channel count: " + show(line));
          rate_text = rate_text.substr(0, slash2);
        }
        if (!to_int(rate_text, rate, 1, 1000000)) return make_error("SDP rtpmap has a bad clock rate: " + show(line));
        for (auto& f : audio.formats) {
          if (f.pt == pt) {
            f.name = std::string(enc.substr(0, slash));
            f.rate = rate;
            f.channels = channels;
          }
        }
      } else if (value.substr(0, 5) == "fmtp:") {
        auto rest = value.substr(5);
        auto sp = rest.find(' ');
        int pt = 0;
        if (sp == std::string_view::npos || !to_int(rest.substr(0, sp), pt, 0, 127))
          return make_error("SDP fmtp is malformed: " + show(line));
        for (auto& f : audio.formats)
          if (f.pt == pt) f.fmtp = std::string(rest.substr(sp + 1));
      } else if (value.substr(0, 6) == "ptime:") {
        int ptime = 0;
        // A nonsense ptime is not worth refusing a call over: the default (20 ms) stays.
        if (to_int(value.substr(6), ptime, 1, 1000)) audio.ptime = ptime;
      }
    }
  }
  if (!seen_version) return make_error("SDP does not start with v=0");
  if (!have_audio) return make_error("SDP has no RTP/AVP audio stream");
  audio.address = !media_address.empty() ? media_address : session_address;
  if (audio.address.empty()) return make_error("SDP has no c= line for the audio stream");
  audio.direction = media_direction.value_or(session_direction.value_or(SdpDirection::SendRecv));
  if (audio.address == "0.0.0.0" && audio.direction == SdpDirection::SendRecv)
    audio.direction = SdpDirection::SendOnly;
  return audio;
}

Result<MediaChoice> negotiate(const SdpAudio& remote, const std::vector<CodecPref>& codecs, bool dtmf,
                              Preference preference) {
  MediaChoice c;
  c.remote_address = remote.address;
  c.remote_port = remote.port;
  c.remote_direction = remote.direction;
  c.ptime = remote.ptime > 0 ? remote.ptime : 20;
  auto matches = [](const SdpFormat& f, const CodecPref& p) {
    return iequals(f.name, p.sdp_name) && f.rate == p.clock_rate;
  };
  auto choose = [&c](const SdpFormat& f, const CodecPref& p) {
    c.codec = p.sdp_name;
    c.audio_pt = f.pt;
    c.clock_rate = p.clock_rate;
    c.channels = f.channels;
    c.remote_fmtp = f.fmtp;
    c.local_fmtp = p.fmtp;
  };
  if (preference == Preference::Ours) {
    for (auto& p : codecs) {
      for (auto& f : remote.formats) {
        if (c.audio_pt < 0 && matches(f, p)) choose(f, p);
      }
    }
  } else {
    for (auto& f : remote.formats) {
      for (auto& p : codecs) {
        if (c.audio_pt < 0 && matches(f, p)) choose(f, p);
      }
    }
  }
  for (auto& f : remote.formats) {
    if (dtmf && c.dtmf_pt < 0 && iequals(f.name, "telephone-event") && f.rate == 8000) c.dtmf_pt = f.pt;
  }
  if (c.audio_pt < 0) {
    std::string offered, allowed;
    for (auto& f : remote.formats)
      offered += (offered.empty() ? "" : ",") +
                 (f.name.empty() ? std::to_string(f.pt) : f.name + "/" + std::to_string(f.rate));
    for (auto& p : codecs) allowed += (allowed.empty() ? "" : ",") + p.sdp_name + "/" + std::to_string(p.clock_rate);
    return make_error("no common codec: offered " + offered + ", allowed " + allowed);
  }
  return c;
}

std::vector<SdpFormat> offer_formats(const std::vector<CodecPref>& codecs, bool dtmf) {
  std::vector<SdpFormat> out;
  int next_dynamic = 96;
  for (auto& c : codecs) {
    int pt = c.static_pt;
    if (pt < 0) {
      if (next_dynamic == kOfferedDtmfPt) ++next_dynamic;
      pt = next_dynamic++;
    }
    out.push_back({pt, c.sdp_name, c.clock_rate, c.channels, c.fmtp});
  }
  if (dtmf) out.push_back({kOfferedDtmfPt, "telephone-event", 8000, 1, "0-16"});
  return out;
}

std::vector<SdpFormat> answer_formats(const MediaChoice& choice) {
  std::vector<SdpFormat> out{{choice.audio_pt, choice.codec, choice.clock_rate, choice.channels, choice.local_fmtp}};
  if (choice.dtmf_pt >= 0) out.push_back({choice.dtmf_pt, "telephone-event", 8000, 1, "0-16"});
  return out;
}

std::string build_sdp(uint64_t session_id, uint64_t version, std::string_view address, uint16_t port,
                      const std::vector<SdpFormat>& formats, SdpDirection direction) {
  std::string a(address);
  std::string s = "v=0\r\no=zvon " + std::to_string(session_id) + " " + std::to_string(version) +
                  " IN IP4 " + a + "\r\ns=zvon\r\nc=IN IP4 " + a + "\r\nt=0 0\r\nm=audio " +
                  std::to_string(port) + " RTP/AVP";
  for (auto& f : formats) s += " " + std::to_string(f.pt);
  s += "\r\n";
  for (auto& f : formats) {
    s += "a=rtpmap:" + std::to_string(f.pt) + " " + f.name + "/" + std::to_string(f.rate);
    if (f.channels > 1) s += "/" + std::to_string(f.channels);
    s += "\r\n";
    if (!f.fmtp.empty()) s += "a=fmtp:" + std::to_string(f.pt) + " " + f.fmtp + "\r\n";
  }
  s += "a=ptime:20\r\na=" + std::string(to_string(direction)) + "\r\n";
  return s;
}

}  // namespace zvon::sip
