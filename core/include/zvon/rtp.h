// RTP on libuv: one UDP socket per stream, on the channel's loop. Channel drivers (chan_sip)
// open one per leg and hand it out as the channel's MediaEndpoint.
#pragma once
#include <netinet/in.h>
#include <sys/socket.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
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

// What a JitterBuffer counts (JitterBuffer::Stats), also part of an RTP session's statistics.
struct JitterBufferStats {
  uint64_t packets = 0;     // taken into the buffer
  uint64_t frames = 0;      // 20 ms frames played out
  uint64_t late = 0;        // arrived after their playout time: dropped
  uint64_t lost = 0;        // never arrived before the packet after them was played
  uint64_t concealed = 0;   // frames the codec filled in (PLC / FEC)
  uint64_t reordered = 0;   // arrived after a later-numbered packet
  uint64_t duplicates = 0;  // the same sequence number again: dropped
  uint64_t resyncs = 0;     // new SSRC, timestamp jump, overflow
  uint64_t grown = 0;       // frames inserted to lengthen the delay
  uint64_t shrunk = 0;      // frames skipped to shorten it
  uint64_t discarded = 0;   // empty or oversized payloads
  int delay_ms = 0;         // current playout delay above the fastest recent packet
  int target_ms = 0;        // what the delay is steered to
};

// The adaptive jitter buffer in front of every decoder of received audio (transcoding,
// in-band DTMF); rtp.conf jbenable / jbminsize / jbmaxsize / jbresyncthreshold. Relayed audio
// (the same codec on both legs) never goes through it.
struct JitterBufferSettings {
  bool enabled = true;
  int min_ms = 20;      // the playout delay never goes below this ...
  int max_ms = 200;     // ... nor above this
  int resync_ms = 1000; // a timestamp this far from the playout point starts the stream over
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
  // Called once per digit received, whatever the receiver: an RFC 4733 event at its end, or
  // an in-band tone when in-band detection is on.
  virtual void set_dtmf_listener(std::function<void(char digit, DtmfSource source)> listener) = 0;
  // Looks for DTMF tones in the received audio (SpanDSP, any codec decoded to 8 kHz): chan_sip
  // turns it on for endpoints with dtmfmode=inband, or auto when telephone-event was not
  // negotiated, while the channel has a reader of keys. Turned on, it starts clean (a new
  // jitter buffer and detector); off, it costs nothing per packet.
  virtual void set_inband_dtmf(bool on) = 0;
  // Symmetric RTP (the default): send to wherever the peer's packets come from, not to the
  // address its SDP named (phones behind NAT). Off for nat=no endpoints.
  virtual void set_symmetric(bool on) = 0;
  // Whether anything is sent to the peer: off while the peer's SDP says it does not want our
  // media (it put the call on hold with sendonly / inactive).
  virtual void set_sending(bool on) = 0;
  // Applies to decoders made from now on (the next codec change or transcoding path).
  virtual void set_jitter_buffer(const JitterBufferSettings& settings) = 0;
  // The endpoint's settings, for modules that decode its audio themselves (recording).
  virtual JitterBufferSettings jitter_buffer() const = 0;

  struct Stats {
    uint64_t packets_received = 0;
    uint64_t packets_sent = 0;
    uint64_t bytes_received = 0;
    uint64_t bytes_sent = 0;
    // RFC 3550 A.3 / A.8, for the audio stream received.
    uint64_t packets_expected = 0;  // from the first to the highest sequence number seen
    int64_t packets_lost = 0;       // expected - received (negative with duplicates)
    double jitter_ms = 0;           // interarrival jitter estimate
    double mos = 0;                 // E-model listening quality 1..4.5 from loss and jitter; 0: no audio yet
    uint64_t last_received_ms = 0;  // loop clock of the last packet from the peer, 0: none yet
    // RTCP (RFC 3550 §6), on the port above the RTP port: reports sent and received, and what
    // the peer's reports say about our stream; -1 until a report told it.
    uint64_t rtcp_sent = 0;
    uint64_t rtcp_received = 0;
    double rtt_ms = -1;               // round trip, from its report's LSR/DLSR
    double remote_loss_percent = -1;  // the fraction it lost of what we sent
    double remote_jitter_ms = -1;     // the jitter it sees on what we send
    // 20 ms frames of received audio the in-band DTMF detector examined: it runs only while
    // set_inband_dtmf() is on, so a relayed call nobody reads keys on stays at 0.
    uint64_t inband_dtmf_frames = 0;
    // The jitter buffer in front of the decoder of this leg's received audio (a transcoded
    // bridge, in-band DTMF); none while nothing decodes it.
    std::optional<JitterBufferStats> jitter_buffer;
  };
  virtual Stats stats() const = 0;
};

}  // namespace zvon
