// The Opus a=fmtp parameters of RFC 7587 that shape our encoder. The far end declares them
// for what it receives: useinbandfec=1 means its decoder uses in-band FEC, usedtx=1 that it
// prefers discontinuous transmission, maxplaybackrate that it plays no more than that rate.
// Pure: any thread.
#pragma once
#include <string_view>

namespace zvon::opus {

struct RemoteFmtp {
  bool inband_fec = false;
  bool dtx = false;
  int max_playback_rate = 48000;
  int max_average_bitrate = 0;  // 0: not given
};

// Unknown parameters and malformed values are ignored (the defaults of RFC 7587 stay):
// the far end's SDP is not ours to refuse over an fmtp detail.
RemoteFmtp parse_remote_fmtp(std::string_view fmtp);

}  // namespace zvon::opus
