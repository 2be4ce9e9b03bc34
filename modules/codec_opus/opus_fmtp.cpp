#include "opus_fmtp.h"

#include <cctype>
#include <charconv>

namespace zvon::opus {
namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

bool to_int(std::string_view s, int& out) {
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && p == s.data() + s.size();
}

}  // namespace

RemoteFmtp parse_remote_fmtp(std::string_view fmtp) {
  RemoteFmtp r;
  while (!fmtp.empty()) {
    size_t semi = fmtp.find(';');
    std::string_view item = trim(fmtp.substr(0, semi));
    fmtp = semi == std::string_view::npos ? std::string_view{} : fmtp.substr(semi + 1);
    size_t eq = item.find('=');
    if (eq == std::string_view::npos) continue;
    std::string_view key = trim(item.substr(0, eq)), value = trim(item.substr(eq + 1));
    int v = 0;
    if (!to_int(value, v)) continue;
    if (key == "useinbandfec") r.inband_fec = v == 1;
    else if (key == "usedtx") r.dtx = v == 1;
    else if (key == "maxplaybackrate" && v >= 8000 && v <= 48000) r.max_playback_rate = v;
    else if (key == "maxaveragebitrate" && v >= 6000 && v <= 510000) r.max_average_bitrate = v;
  }
  return r;
}

}  // namespace zvon::opus
