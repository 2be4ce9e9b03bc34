#include "loaded_codecs.h"

#include <algorithm>
#include <strings.h>

namespace zvon::sip {

std::vector<CodecPref> loaded_codecs(Core& core, const std::vector<CodecPref>& allowed) {
  std::vector<CodecPref> out;
  for (const auto& pref : allowed) {
    auto codec = core.find_codec(pref.sdp_name);
    if (!codec || codec->clock_rate() != pref.clock_rate) continue;
    CodecPref p = pref;
    p.fmtp = std::string(codec->fmtp());
    out.push_back(std::move(p));
  }
  return out;
}

std::vector<CodecPref> preferring(std::vector<CodecPref> codecs, std::string_view first) {
  auto it = std::find_if(codecs.begin(), codecs.end(), [&](const CodecPref& p) {
    return p.sdp_name.size() == first.size() &&
           strncasecmp(p.sdp_name.data(), first.data(), first.size()) == 0;
  });
  if (it != codecs.end()) std::rotate(codecs.begin(), it, it + 1);
  return codecs;
}

}  // namespace zvon::sip
