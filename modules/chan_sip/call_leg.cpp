#include "call_leg.h"

#include <random>

#include "hangup_causes.h"
#include "sip_agent.h"
#include "sip_shared.h"
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
  s_.router.add(channel_.loop(), id_, this);
  Channel* ch = &channel_;
  rtp_->set_dtmf_listener([ch](char digit) { ch->on_dtmf(digit); });
}

CallLeg::~CallLeg() {
  s_.router.remove(channel_.loop(), id_);
  if (!ended_) s_.agent->hangup(id_, HangupCause::Normal);
}

bool CallLeg::apply_media(const MediaChoice& choice) {
  auto codec = s_.core.find_codec(choice.codec);
  if (!codec) {
    log(LogLevel::Warning, "chan_sip", channel_.name(), ": codec ", choice.codec,
        " is not loaded (is codec_g711 loaded?)");
    return false;
  }
  if (auto r = rtp_->set_remote(choice.remote_address, choice.remote_port); !r) {
    log(LogLevel::Warning, "chan_sip", channel_.name(), ": ", r.message());
    return false;
  }
  rtp_->set_codec(std::move(codec), choice.audio_pt, choice.dtmf_pt);
  media_ = choice;
  have_media_ = true;
  return true;
}

std::string CallLeg::local_sdp(bool offer) {
  auto cfg = s_.config.get();
  auto formats = offer || !have_media_ ? offer_formats(endpoint_.codecs, endpoint_.telephone_event)
                                       : answer_formats(media_);
  return build_sdp(sdp_session_, sdp_version_, cfg->media_address, rtp_->local_port(), formats);
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
    d += " <-> " + media_.remote_address + ":" + std::to_string(media_.remote_port) + " " + media_.codec;
  return d;
}

void CallLeg::remote_ringing() {
  if (!ended_) channel_.on_ringing();
}

void CallLeg::remote_progress(std::optional<MediaChoice> media) {
  if (ended_) return;
  if (media) apply_media(*media);
  channel_.on_progress();
}

void CallLeg::remote_answered(MediaChoice media) {
  if (ended_) return;
  if (!apply_media(media)) {
    hangup(HangupCause::Failure);
    channel_.on_hangup(HangupCause::Failure);
    return;
  }
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
  channel->set_driver(std::move(leg));
  log(LogLevel::Verbose, "chan_sip", channel->name(), ": call from ", call.caller.number, " to ",
      call.exten, " enters ", call.endpoint.context);
  s.core.dialplan().start(channel, call.endpoint.context, call.exten);
}

}  // namespace zvon::sip
