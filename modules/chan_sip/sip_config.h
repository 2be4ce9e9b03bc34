// chan_sip's configuration: [general] of sip.conf, the endpoints, and the RTP port range from
// rtp.conf. Parsed into an immutable snapshot; a reload builds a new one and swaps it in
// (SipConfigHolder), so the SIP thread, the workers and the console each read a consistent copy.
#pragma once
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "zvon/channel.h"
#include "zvon/config.h"
#include "zvon/result.h"
#include "zvon/rtp.h"

namespace zvon::sip {

// An audio codec an endpoint may use, as SDP names it.
struct CodecPref {
  std::string sdp_name;  // "PCMU", "G722", "opus"
  int static_pt = -1;    // -1: a dynamic payload type
  int clock_rate = 8000;
  int channels = 1;
  std::string fmtp;      // what we declare for it; filled from the loaded codec
};

// How an endpoint sends its keys (dtmfmode=). SIP INFO is accepted in every mode.
enum class DtmfMode {
  Rfc4733,  // telephone-event only
  Inband,   // tones in the audio: detected with SpanDSP; telephone-event is not offered
  Info,     // SIP INFO only; telephone-event is not offered
  Auto,     // telephone-event when negotiated, else in-band detection
};

// Whether the endpoint may sit behind NAT (nat=).
enum class NatMode {
  No,    // trust the addresses it writes: Contact as given, RTP only from its SDP address
  Yes,   // use the addresses its packets come from: Contact fixed up, symmetric RTP
  Auto,  // like yes, but the Contact only when it differs from where the request came from
};

// The codecs allow= knows, by the names sip.conf uses (ulaw, alaw, g722, opus).
const CodecPref* known_codec(std::string_view config_name);

struct Endpoint {
  std::string name;      // the section name: the user part of its AOR, the digest username
  std::string secret;
  std::string context;   // where its calls enter the dialplan
  CallerId callerid;
  std::vector<CodecPref> codecs;  // in order of preference
  bool telephone_event = true;
  DtmfMode dtmf_mode = DtmfMode::Auto;
  NatMode nat = NatMode::Auto;
};

struct SipConfig {
  std::string bind_address = "127.0.0.1";
  int port = 5060;
  bool udp = true;
  bool tcp = true;
  std::string media_address;  // what SDP advertises; RTP binds bind_address
  std::string realm = "zvon";
  std::string user_agent = "zvon";
  int min_expiry = 60;
  int max_expiry = 3600;
  int default_expiry = 120;
  // SUBSCRIBE (busy lamp fields): Expires bounds, and how many subscriptions may live at once
  // (a flood of SUBSCRIBEs gets 503 past it instead of eating memory).
  int sub_min_expiry = 60;
  int sub_max_expiry = 3600;
  int max_subscriptions = 1000;
  RtpPortRange rtp_ports;
  // rtp.conf media_warning: seconds without RTP from a peer we keep sending to before a
  // MediaStalled event (one-way audio); 0 turns the check off.
  int media_warning_seconds = 5;
  JitterBufferSettings jitter_buffer;  // rtp.conf jb*: in front of every decoder
  std::map<std::string, Endpoint> endpoints;

  const Endpoint* endpoint(const std::string& name) const {
    auto it = endpoints.find(name);
    return it == endpoints.end() ? nullptr : &it->second;
  }
  // Listener settings that need a new load of the module to change.
  bool same_listeners(const SipConfig& o) const {
    return bind_address == o.bind_address && port == o.port && udp == o.udp && tcp == o.tcp;
  }
};

// Builds the configuration from parsed sip.conf and rtp.conf (rtp may be null: defaults).
// Errors name file:line.
Result<std::shared_ptr<const SipConfig>> build_sip_config(const Config& sip, const Config* rtp);

// Parses `"Alice" <101>`, `Alice <101>`, `101`.
CallerId parse_callerid(std::string_view text);

// The current snapshot. Any thread.
class SipConfigHolder {
 public:
  explicit SipConfigHolder(std::shared_ptr<const SipConfig> c) : config_(std::move(c)) {}
  std::shared_ptr<const SipConfig> get() const {
    std::lock_guard lock(mutex_);
    return config_;
  }
  void set(std::shared_ptr<const SipConfig> c) {
    std::lock_guard lock(mutex_);
    config_ = std::move(c);
  }

 private:
  mutable std::mutex mutex_;
  std::shared_ptr<const SipConfig> config_;
};

}  // namespace zvon::sip
