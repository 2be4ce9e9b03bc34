// One SIP call leg as its channel sees it: the ChannelDriver of "SIP/..." channels. Lives on
// the channel's worker loop and owns the leg's RtpSession. Signalling goes to the SIP thread
// as commands to SipAgent (by leg id); what the network did comes back through LegRouter.
//
// Threads: everything on the channel's loop.
#pragma once
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "sdp.h"
#include "sip_config.h"
#include "zvon/channel.h"
#include "zvon/rtp.h"

namespace zvon::sip {

struct SipShared;

// An INVITE the SIP thread accepted, on its way to a worker to become a channel.
struct InboundCall {
  uint64_t id = 0;
  Endpoint endpoint;
  std::string exten;     // the request-URI user
  CallerId caller;
  MediaChoice media;     // negotiated from the offer
  std::string source;    // "udp 127.0.0.1:5070"
};

// Where an outbound leg sends its INVITE.
struct OutboundTarget {
  std::string request_uri;  // the registered contact
  std::string to;
  std::string from;
  std::string next_hop;     // NAT: "sip:host:port" the REGISTER came from, or ""
};

class CallLeg : public ChannelDriver {
 public:
  CallLeg(SipShared& shared, Channel& channel, uint64_t id, Direction direction, Endpoint endpoint,
          std::unique_ptr<RtpSession> rtp);
  ~CallLeg() override;
  CallLeg(const CallLeg&) = delete;
  CallLeg& operator=(const CallLeg&) = delete;

  uint64_t id() const { return id_; }
  void set_target(OutboundTarget t) { target_ = std::move(t); }
  void set_source(std::string s) { source_ = std::move(s); }
  // Applies a negotiated stream to the RTP session. False (with a log line) when the codec
  // is not available.
  bool apply_media(const MediaChoice& choice);
  // The direction of the far end's initial offer: ours in the answer, and whether we send.
  void answer_offer_direction(SdpDirection theirs);

  // ChannelDriver
  void call() override;
  void ring() override;
  void progress() override;
  void answer() override;
  void hangup(HangupCause cause) override;
  MediaEndpoint* media() override { return rtp_.get(); }
  std::string describe() const override;
  std::vector<std::pair<std::string, std::string>> media_stats() const override;
  void listen_for_digits(bool on) override;

  // What the far end did (from the SIP thread).
  void remote_ringing();
  void remote_progress(std::optional<MediaChoice> media);
  void remote_answered(MediaChoice media);
  void remote_hangup(HangupCause cause);
  // A re-INVITE's offer, negotiated: new address, hold (sendonly / inactive / c=0.0.0.0) or
  // back to sendrecv. Answers it through the agent.
  void remote_reinvite(MediaChoice media);
  // A key the far end sent as SIP INFO.
  void remote_dtmf(char digit);

 private:
  // Sends or not as the far end's direction asks, and holds the channel while it wants none.
  void apply_direction(SdpDirection theirs);
  std::string local_sdp(bool offer);
  // Once a second while media flows: a MediaStalled event when nothing arrived for
  // media_warning seconds although we keep sending (one-way audio), MediaResumed after.
  void check_media();
  // In-band detection runs where keys come as tones and something reads them.
  void update_inband_detection();

  SipShared& s_;
  Channel& channel_;
  uint64_t id_;
  Direction direction_;
  Endpoint endpoint_;
  std::unique_ptr<RtpSession> rtp_;
  OutboundTarget target_;
  std::string source_;
  MediaChoice media_;
  bool have_media_ = false;
  bool ended_ = false;
  uint64_t sdp_session_;
  uint64_t sdp_version_ = 1;
  SdpDirection local_direction_ = SdpDirection::SendRecv;  // what our SDP says
  uint64_t media_since_ms_ = 0;     // when media was first negotiated (loop clock)
  uint64_t last_sent_checked_ = 0;  // packets_sent at the previous check
  bool stalled_ = false;
  bool keys_as_tones_ = false;  // the negotiated stream carries keys as tones (in-band)
  bool digits_wanted_ = false;  // the channel has a reader of keys (listen_for_digits)
  UvHandle<uv_timer_t> media_timer_;  // last: closed first
};

// The worker's side of an accepted INVITE: makes the channel, its RTP and its leg, and starts
// the dialplan. On failure it tells the SIP thread to reject the INVITE. The loop's thread.
void start_inbound_call(SipShared& shared, Loop& loop, InboundCall call);

}  // namespace zvon::sip
