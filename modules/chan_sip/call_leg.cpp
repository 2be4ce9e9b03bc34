#include "call_leg.h"

#include <algorithm>
#include <cstdio>
#include <random>

#include "hangup_causes.h"
#include "loaded_codecs.h"
#include "sip_agent.h"
#include "sip_shared.h"
#include "zvon/core.h"
#include "zvon/log.h"

namespace zvon::sip {

namespace {
// Not a std::random_device per call: on a virtual machine constructing one (CPUID) and each
// draw (RDRAND) trap to the hypervisor, ~14 us here. One generator per thread, seeded once.
uint64_t random_session_id() {
  thread_local std::mt19937_64 rng = [] {
    std::random_device rd;
    std::seed_seq seed{rd(), rd(), rd(), rd()};
    return std::mt19937_64(seed);
  }();
  return rng() & 0x7fffffffffffull;
}
}  // namespace

CallLeg::CallLeg(SipShared& shared, Channel& channel, uint64_t id, Direction direction,
                 Endpoint endpoint, std::unique_ptr<RtpSession> rtp)
    : s_(shared),
      channel_(channel),
      id_(id),
      direction_(direction),
      endpoint_(std::move(endpoint)),
      rtp_(std::move(rtp)),
      sdp_session_(random_session_id()) {
  // What we offer and accept in answers: only codecs whose module is loaded now.
  endpoint_.codecs = loaded_codecs(s_.core, endpoint_.codecs);
  s_.router.add(channel_.loop(), id_, this);
  Channel* ch = &channel_;
  rtp_->set_dtmf_listener([ch](char digit, DtmfSource source) { ch->on_dtmf(digit, source); });
  rtp_->set_symmetric(endpoint_.nat != NatMode::No);
  rtp_->set_jitter_buffer(s_.config.get()->jitter_buffer);
}

CallLeg::~CallLeg() {
  s_.router.remove(channel_.loop(), id_);
  if (!ended_) s_.agent->hangup(id_, HangupCause::Normal);
}

bool CallLeg::apply_media(const MediaChoice& choice) {
  auto codec = s_.core.find_codec(choice.codec);
  if (!codec) {
    log(LogLevel::Warning, "chan_sip", channel_.name(), ": codec ", choice.codec,
        " is not loaded (load its codec_* module)");
    return false;
  }
  // c=0.0.0.0 (an RFC 2543 hold) keeps the address we had: there is nowhere new to send.
  const bool null_address = choice.remote_address == "0.0.0.0";
  if (!null_address || !have_media_) {
    if (auto r = rtp_->set_remote(choice.remote_address, choice.remote_port); !r) {
      log(LogLevel::Warning, "chan_sip", channel_.name(), ": ", r.message());
      return false;
    }
  }
  if (!have_media_ || media_.codec != choice.codec || media_.audio_pt != choice.audio_pt ||
      media_.dtmf_pt != choice.dtmf_pt || media_.remote_fmtp != choice.remote_fmtp ||
      media_.ptime != choice.ptime)
    rtp_->set_codec(std::move(codec), choice.audio_pt, choice.dtmf_pt, choice.remote_fmtp, choice.ptime);
  // The endpoint sends its keys as tones, or may (auto without telephone-event).
  keys_as_tones_ = endpoint_.dtmf_mode == DtmfMode::Inband ||
                   (endpoint_.dtmf_mode == DtmfMode::Auto && choice.dtmf_pt < 0);
  update_inband_detection();
  const std::string kept_address = media_.remote_address;
  media_ = choice;
  if (null_address && have_media_) media_.remote_address = kept_address;
  if (!have_media_) {
    media_since_ms_ = channel_.loop().now_ms();
    if (uv_timer_init(channel_.loop().uv(), media_timer_.get()) == 0) {
      media_timer_.mark_open();
      media_timer_.get()->data = this;
      uv_timer_start(
          media_timer_.get(), [](uv_timer_t* t) { static_cast<CallLeg*>(t->data)->check_media(); },
          1000, 1000);
    }
  }
  have_media_ = true;
  return true;
}

void CallLeg::listen_for_digits(bool on) {
  digits_wanted_ = on;
  update_inband_detection();
}

void CallLeg::update_inband_detection() {
  // Decoding every packet for tones costs ~9x relaying it: only while something reads keys.
  rtp_->set_inband_dtmf(keys_as_tones_ && digits_wanted_);
}

void CallLeg::check_media() {
  const int after_s = s_.config.get()->media_warning_seconds;
  if (after_s <= 0 || ended_ || channel_.state() != ChannelState::Up) return;
  auto st = rtp_->stats();
  const bool sending = st.packets_sent > last_sent_checked_;
  last_sent_checked_ = st.packets_sent;
  const uint64_t now = channel_.loop().now_ms();
  const uint64_t last = st.last_received_ms ? st.last_received_ms : media_since_ms_;
  const uint64_t silent_ms = now > last ? now - last : 0;
  auto publish = [&](const char* type) {
    Event e;
    e.type = type;
    e.add("channel", channel_.name()).add("uniqueid", channel_.unique_id())
        .add("direction", "receive").add("seconds", std::to_string(silent_ms / 1000))
        .add("packets_sent", std::to_string(st.packets_sent))
        .add("packets_received", std::to_string(st.packets_received));
    s_.core.events().publish(std::move(e));
  };
  if (!stalled_ && sending && silent_ms >= uint64_t(after_s) * 1000) {
    stalled_ = true;
    log(LogLevel::Warning, "chan_sip", channel_.name(), ": no RTP from ", media_.remote_address, ":",
        media_.remote_port, " for ", silent_ms / 1000,
        " s while we send (one-way audio: NAT or firewall on the phone's side?)");
    publish("MediaStalled");
  } else if (stalled_ && silent_ms < 1000) {
    stalled_ = false;
    log(LogLevel::Notice, "chan_sip", channel_.name(), ": RTP flows again");
    publish("MediaResumed");
  }
}

std::string CallLeg::local_sdp(bool offer) {
  auto cfg = s_.config.get();
  auto formats = offer || !have_media_ ? offer_formats(endpoint_.codecs, endpoint_.telephone_event)
                                       : answer_formats(media_);
  return build_sdp(sdp_session_, sdp_version_, cfg->media_address, rtp_->local_port(), formats,
                   local_direction_);
}

void CallLeg::call() {
  if (direction_ != Direction::Outbound || ended_) return;
  s_.agent->invite(id_, channel_.loop(), target_, local_sdp(true), endpoint_);
}

void CallLeg::ring() {
  if (direction_ == Direction::Inbound && !ended_) s_.agent->respond(id_, 180, "Ringing");
}

void CallLeg::progress() {
  if (direction_ == Direction::Inbound && !ended_)
    s_.agent->respond(id_, 183, "Session Progress", local_sdp(false));
}

void CallLeg::answer() {
  if (direction_ == Direction::Inbound && !ended_) s_.agent->respond(id_, 200, "OK", local_sdp(false));
}

void CallLeg::hangup(HangupCause cause) {
  if (ended_) return;
  ended_ = true;
  s_.agent->hangup(id_, cause);
}

std::string CallLeg::describe() const {
  std::string d = source_.empty() ? target_.request_uri : source_;
  d += " rtp " + rtp_->local_address() + ":" + std::to_string(rtp_->local_port());
  if (have_media_)
    d += " <-> " + media_.remote_address + ":" + std::to_string(media_.remote_port) + " " + media_.codec +
         (media_.dtmf_pt >= 0 ? " telephone-event" : "");
  return d;
}

std::vector<std::pair<std::string, std::string>> CallLeg::media_stats() const {
  auto st = rtp_->stats();
  // What only the peer's RTCP reports tell: "-" until one arrived.
  auto known = [](double v) {
    if (v < 0) return std::string("-");
    char b[32];
    std::snprintf(b, sizeof b, "%.2f", v);
    return std::string(b);
  };
  char jitter[32];
  std::snprintf(jitter, sizeof jitter, "%.2f", st.jitter_ms);
  const double loss_percent = st.packets_expected ? 100.0 * double(std::max<int64_t>(st.packets_lost, 0)) /
                                                       double(st.packets_expected)
                                                 : 0.0;
  char loss[32];
  std::snprintf(loss, sizeof loss, "%.2f", loss_percent);
  char mos[32];
  std::snprintf(mos, sizeof mos, "%.2f", st.mos);
  std::vector<std::pair<std::string, std::string>> out{{"packets_sent", std::to_string(st.packets_sent)},
          {"packets_received", std::to_string(st.packets_received)},
          {"bytes_sent", std::to_string(st.bytes_sent)},
          {"bytes_received", std::to_string(st.bytes_received)},
          {"packets_lost", std::to_string(st.packets_lost)},
          {"loss_percent", loss},
          {"jitter_ms", jitter},
          {"mos", mos},
          {"rtcp_sent", std::to_string(st.rtcp_sent)},
          {"rtcp_received", std::to_string(st.rtcp_received)},
          {"rtt_ms", known(st.rtt_ms)},
          {"remote_loss_percent", known(st.remote_loss_percent)},
          {"remote_jitter_ms", known(st.remote_jitter_ms)},
          {"inband_dtmf_frames", std::to_string(st.inband_dtmf_frames)}};
  if (const auto& jb = st.jitter_buffer) {
    out.insert(out.end(), {{"jb_delay_ms", std::to_string(jb->delay_ms)},
                           {"jb_target_ms", std::to_string(jb->target_ms)},
                           {"jb_late", std::to_string(jb->late)},
                           {"jb_lost", std::to_string(jb->lost)},
                           {"jb_concealed", std::to_string(jb->concealed)},
                           {"jb_reordered", std::to_string(jb->reordered)},
                           {"jb_duplicates", std::to_string(jb->duplicates)},
                           {"jb_resyncs", std::to_string(jb->resyncs)}});
  }
  return out;
}

void CallLeg::remote_reinvite(MediaChoice media) {
  if (ended_) return;
  if (!apply_media(media)) {
    s_.agent->answer_reinvite(id_, 488, "Not Acceptable Here", {});
    return;
  }
  const SdpDirection theirs = media.remote_direction;
  local_direction_ = answer_direction(theirs);
  ++sdp_version_;
  s_.agent->answer_reinvite(id_, 200, "OK", local_sdp(false));
  log(LogLevel::Verbose, "chan_sip", channel_.name(), ": re-INVITE: ", media_.remote_address, ":",
      media_.remote_port, " ", to_string(theirs));
  apply_direction(theirs);
}

void CallLeg::answer_offer_direction(SdpDirection theirs) {
  local_direction_ = answer_direction(theirs);
  apply_direction(theirs);
}

void CallLeg::apply_direction(SdpDirection theirs) {
  // RFC 3264 §6.1: a sendonly or inactive peer does not want our media, whatever the app
  // (a bridge, Echo, Playback, a menu, music) is sending; sendrecv or recvonly again does.
  // Its channel is held meanwhile (a bridge plays music on hold to the other side).
  rtp_->set_sending(theirs == SdpDirection::SendRecv || theirs == SdpDirection::RecvOnly);
  channel_.on_hold(theirs == SdpDirection::SendOnly || theirs == SdpDirection::Inactive);
}

void CallLeg::remote_dtmf(char digit) {
  if (!ended_) channel_.on_dtmf(digit, DtmfSource::SipInfo);
}

void CallLeg::remote_ringing() {
  if (!ended_) channel_.on_ringing();
}

void CallLeg::remote_progress(std::optional<MediaChoice> media) {
  if (ended_) return;
  if (media && apply_media(*media)) apply_direction(media->remote_direction);
  channel_.on_progress();
}

void CallLeg::remote_answered(MediaChoice media) {
  if (ended_) return;
  if (!apply_media(media)) {
    hangup(HangupCause::Failure);
    channel_.on_hangup(HangupCause::Failure);
    return;
  }
  apply_direction(media.remote_direction);
  channel_.on_answered();
}

void CallLeg::remote_hangup(HangupCause cause) {
  if (ended_) return;
  ended_ = true;
  channel_.on_hangup(cause);
}

void start_inbound_call(SipShared& s, Loop& loop, InboundCall call) {
  auto cfg = s.config.get();
  auto rtp = RtpSession::open(loop, cfg->bind_address, cfg->rtp_ports);
  if (!rtp) {
    log(LogLevel::Warning, "chan_sip", "call from ", call.endpoint.name, " refused: ", rtp.message());
    s.agent->respond(call.id, 503, "Service Unavailable");
    return;
  }
  ModuleUse use = s.ctx.use();
  if (!use) {
    s.agent->respond(call.id, 503, "Service Unavailable");
    return;
  }
  auto channel = Channel::create(s.core, loop, "SIP", call.endpoint.name, Direction::Inbound, std::move(use));
  channel->caller() = call.caller;
  channel->set_dialed(call.exten);
  auto leg = std::make_unique<CallLeg>(s, *channel, call.id, Direction::Inbound, call.endpoint,
                                       std::move(*rtp));
  leg->set_source(call.source);
  if (!leg->apply_media(call.media)) {
    leg->hangup(HangupCause::Failure);  // 500: the codec went away between offer and now
    channel->set_driver(std::move(leg));
    channel->on_hangup(HangupCause::Failure);
    return;
  }
  // An offer that starts on hold (sendonly / inactive) is answered with the direction it
  // leaves us, and nothing is sent until a re-INVITE asks for our media.
  leg->answer_offer_direction(call.media.remote_direction);
  channel->set_driver(std::move(leg));
  log(LogLevel::Verbose, "chan_sip", channel->name(), ": call from ", call.caller.number, " to ",
      call.exten, " enters ", call.endpoint.context);
  s.core.dialplan().start(channel, call.endpoint.context, call.exten);
}

}  // namespace zvon::sip
