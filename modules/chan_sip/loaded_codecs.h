// Which of an endpoint's allowed codecs zvon can use right now: those whose codec module is
// loaded (an offer must not name a codec nobody can decode), with the fmtp that codec
// declares. Any thread (the codec registry is).
#pragma once
#include <string_view>
#include <vector>

#include "sip_config.h"
#include "zvon/core.h"

namespace zvon::sip {

std::vector<CodecPref> loaded_codecs(Core& core, const std::vector<CodecPref>& allowed);

// `codecs` with the one named `first` moved to the front, when it is there: an outgoing leg
// offers the caller's codec first, so that a phone that has it too lets the bridge relay
// packets instead of transcoding them.
std::vector<CodecPref> preferring(std::vector<CodecPref> codecs, std::string_view first);

}  // namespace zvon::sip
