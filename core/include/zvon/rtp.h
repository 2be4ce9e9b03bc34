// RTP on libuv: one UDP socket per stream, on the channel's loop. Channel drivers (chan_sip)
// open one per leg and hand it out as the channel's MediaEndpoint.
#pragma once
#include <netinet/in.h>
#include <sys/socket.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "zvon/media.h"
#include "zvon/module.h"
#include "zvon/result.h"

namespace zvon {

class Loop;

struct RtpPortRange {
  uint16_t min = 10000;
  uint16_t max = 20000;
};

class RtpSession : public MediaEndpoint {
 public:
  // Binds a UDP socket on `bind_address` at an even port from `ports`. The loop's thread.
  static Result<std::unique_ptr<RtpSession>> open(Loop& loop, std::string_view bind_address,
                                                  RtpPortRange ports);
  ~RtpSession() override = default;

  virtual uint16_t local_port() const = 0;
  virtual const std::string& local_address() const = 0;

  // Where to send. Until packets arrive from elsewhere (symmetric RTP), this is the address
  // from the peer's SDP.
  virtual Result<void> set_remote(std::string_view address, uint16_t port) = 0;
  // The negotiated codec (pinned: a codec module cannot unload under a call) and payload
  // types; dtmf_payload_type -1 when telephone-event was not negotiated. `remote_fmtp` is the
  // far end's a=fmtp for the codec (it configures our encoder: Opus FEC, DTX ...) and
  // `ptime_ms` the packet time it asked for: what zvon encodes itself (prompts, transcoded
  // audio) goes out in packets that long.
  virtual void set_codec(Pinned<Codec> codec, int audio_payload_type, int dtmf_payload_type,
                         std::string_view remote_fmtp = {}, int ptime_ms = 20) = 0;
  // Called once per RFC 4733 digit received (at the event's end), whatever the receiver.
  virtual void set_dtmf_listener(std::function<void(char digit)> listener) = 0;

  struct Stats {
    uint64_t packets_received = 0;
    uint64_t packets_sent = 0;
    uint64_t bytes_received = 0;
    uint64_t bytes_sent = 0;
  };
  virtual Stats stats() const = 0;
};

}  // namespace zvon
