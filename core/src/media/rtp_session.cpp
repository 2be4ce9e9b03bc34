#include <algorithm>
#include <cstdio>
#include <cstring>
#include <optional>
#include <random>
#include <string>

#include "rtp_session_impl.h"
#include "sound_file.h"
#include "thread_random.h"
#include "zvon/g711.h"
#include "zvon/log.h"

namespace zvon {
namespace {

constexpr std::string_view kLog = "rtp";
// A latched peer that has been silent this long may be replaced by a new source address
// (the phone moved, a NAT rebound); before that, strangers' packets are dropped.
constexpr uint64_t kRelatchAfterMs = 1000;
// RTCP packet types 200-204 appear as RTP payload types 72-76 (RFC 5761).
bool is_rtcp(int payload_type) { return payload_type >= 72 && payload_type <= 76; }

Result<sockaddr_storage> parse_address(std::string_view address, uint16_t port) {
  std::string text(address);
  sockaddr_storage ss{};
  if (uv_ip4_addr(text.c_str(), port, reinterpret_cast<sockaddr_in*>(&ss)) == 0) return ss;
  ss = {};
  if (uv_ip6_addr(text.c_str(), port, reinterpret_cast<sockaddr_in6*>(&ss)) == 0) return ss;
  return make_error("'" + text + "' is not an IPv4 or IPv6 address");
}

bool same_address(const sockaddr* a, const sockaddr_storage& b) {
  if (a->sa_family != b.ss_family) return false;
  if (a->sa_family == AF_INET) {
    auto* x = reinterpret_cast<const sockaddr_in*>(a);
    auto* y = reinterpret_cast<const sockaddr_in*>(&b);
    return x->sin_port == y->sin_port && x->sin_addr.s_addr == y->sin_addr.s_addr;
  }
  if (a->sa_family == AF_INET6) {
    auto* x = reinterpret_cast<const sockaddr_in6*>(a);
    auto* y = reinterpret_cast<const sockaddr_in6*>(&b);
    return x->sin6_port == y->sin6_port &&
           std::memcmp(&x->sin6_addr, &y->sin6_addr, sizeof x->sin6_addr) == 0;
  }
  return false;
}

void copy_address(const sockaddr* from, sockaddr_storage& to) {
  to = {};
  std::memcpy(&to, from, from->sa_family == AF_INET6 ? sizeof(sockaddr_in6) : sizeof(sockaddr_in));
}

std::string describe(const sockaddr_storage& ss) {
  char host[64] = "?";
  int port = 0;
  if (ss.ss_family == AF_INET) {
    auto* a = reinterpret_cast<const sockaddr_in*>(&ss);
    uv_ip4_name(a, host, sizeof host);
    port = ntohs(a->sin_port);
  } else if (ss.ss_family == AF_INET6) {
    auto* a = reinterpret_cast<const sockaddr_in6*>(&ss);
    uv_ip6_name(a, host, sizeof host);
    port = ntohs(a->sin6_port);
  }
  return cat(host, ":", port);
}

void set_port(sockaddr_storage& ss, uint16_t port) {
  if (ss.ss_family == AF_INET)
    reinterpret_cast<sockaddr_in*>(&ss)->sin_port = htons(port);
  else
    reinterpret_cast<sockaddr_in6*>(&ss)->sin6_port = htons(port);
}

}  // namespace

Result<std::unique_ptr<RtpSession>> RtpSession::open(Loop& loop, std::string_view bind_address,
                                                     RtpPortRange ports) {
  auto addr = parse_address(bind_address, 0);
  if (!addr) return make_error("RTP bind address: " + addr.message());
  auto session = std::make_unique<RtpSessionImpl>(loop, std::string(bind_address));
  if (auto r = session->bind(*addr, ports); !r) return r.error();
  return std::unique_ptr<RtpSession>(std::move(session));
}

RtpSessionImpl::RtpSessionImpl(Loop& loop, std::string local_address)
    : loop_(loop), local_address_(std::move(local_address)), buffers_(thread_buffers()) {
  relay_sink_.self = this;
  audio_sink_.self = this;
  // RFC 3550: SSRC, first sequence number and first timestamp are random.
  ssrc_ = thread_random32();
  seq_ = uint16_t(thread_random32());
  last_ts_ = thread_random32();
}

RtpSessionImpl::~RtpSessionImpl() = default;  // udp_ closes the socket

Result<void> RtpSessionImpl::bind(const sockaddr_storage& bind_to, RtpPortRange ports) {
  uint32_t first = ports.min + (ports.min & 1u);
  uint32_t last = ports.max;
  if (ports.min == 0 || first > last)
    return make_error(cat("RTP port range ", ports.min, "-", ports.max,
                          " holds no even port above 0 (check rtpstart/rtpend in rtp.conf)"));
  uint32_t count = (last - first) / 2 + 1;

  // recvmmsg() reads several datagrams per wake-up where the platform has it.
  int r = uv_udp_init_ex(loop_.uv(), udp_.get(), AF_UNSPEC | UV_UDP_RECVMMSG);
  if (r != 0) r = uv_udp_init(loop_.uv(), udp_.get());
  if (r != 0) return make_error(cat("cannot create a UDP socket: ", uv_strerror(r)));
  udp_.mark_open();
  udp_.get()->data = this;

  // A random start spreads sessions over the range without any state shared between loops.
  uint32_t start = thread_random32() % count;
  sockaddr_storage addr = bind_to;
  for (uint32_t i = 0; i < count; ++i) {
    uint16_t port = uint16_t(first + 2 * ((start + i) % count));
    set_port(addr, port);
    r = uv_udp_bind(udp_.get(), reinterpret_cast<const sockaddr*>(&addr), 0);
    if (r == 0) {
      local_port_ = port;
      break;
    }
    if (r != UV_EADDRINUSE && r != UV_EACCES)
      return make_error(cat("cannot bind RTP to ", local_address_, ":", port, ": ", uv_strerror(r)));
  }
  if (r != 0)
    return make_error(cat("no free RTP port in ", first, "-", last, " on ", local_address_,
                          ": every even port is in use (widen rtpstart/rtpend in rtp.conf)"));

  r = uv_udp_recv_start(udp_.get(), &RtpSessionImpl::on_alloc, &RtpSessionImpl::on_recv);
  if (r != 0) return make_error(cat("cannot receive RTP on port ", local_port_, ": ", uv_strerror(r)));
  log(LogLevel::Debug, kLog, "session on ", local_address_, ":", local_port_,
      uv_udp_using_recvmmsg(udp_.get()) ? " (recvmmsg)" : "");
  open_rtcp(addr);
  return {};
}

void RtpSessionImpl::open_rtcp(const sockaddr_storage& bind_to) {
  if (local_port_ == 65535) return;
  sockaddr_storage addr = bind_to;
  set_port(addr, uint16_t(local_port_ + 1));
  if (uv_udp_init(loop_.uv(), rtcp_udp_.get()) != 0) return;
  rtcp_udp_.mark_open();
  rtcp_udp_.get()->data = this;
  if (int r = uv_udp_bind(rtcp_udp_.get(), reinterpret_cast<const sockaddr*>(&addr), 0); r != 0) {
    log(LogLevel::Debug, kLog, "no RTCP for port ", local_port_, ": ", uv_strerror(r));
    rtcp_udp_.close();
    return;
  }
  uv_udp_recv_start(
      rtcp_udp_.get(),
      [](uv_handle_t* h, size_t, uv_buf_t* buf) {
        auto* self = static_cast<RtpSessionImpl*>(h->data);
        auto& in = self->buffers_.rtcp_recv;
        *buf = uv_buf_init(reinterpret_cast<char*>(in.data()), unsigned(in.size()));
      },
      [](uv_udp_t* h, ssize_t nread, const uv_buf_t* buf, const sockaddr* from, unsigned flags) {
        if (nread <= 0 || !from || (flags & UV_UDP_PARTIAL)) return;
        static_cast<RtpSessionImpl*>(h->data)->on_rtcp(reinterpret_cast<const uint8_t*>(buf->base),
                                                       size_t(nread), from);
      });
  if (uv_timer_init(loop_.uv(), rtcp_timer_.get()) != 0) return;
  rtcp_timer_.mark_open();
  rtcp_timer_.get()->data = this;
  // The first report after half an interval (RFC 3550 §6.2), spread so sessions opened
  // together do not report together.
  uint64_t first = kRtcpIntervalMs / 2 + thread_random32() % 1000;
  uv_timer_start(
      rtcp_timer_.get(), [](uv_timer_t* t) { static_cast<RtpSessionImpl*>(t->data)->send_rtcp(); },
      first, kRtcpIntervalMs);
}

void RtpSessionImpl::on_rtcp(const uint8_t* data, size_t len, const sockaddr* from) {
  auto r = parse_rtcp(std::span(data, len), ssrc_);
  if (!r.valid) return;
  // Symmetric RTCP, as for RTP: reports go back where the peer's come from, unless nat=no.
  if (symmetric_ && !(have_rtcp_remote_ && same_address(from, rtcp_remote_))) {
    copy_address(from, rtcp_remote_);
    have_rtcp_remote_ = true;
  }
  ++stats_.rtcp_received;
  const uint64_t now = loop_.now_ms();
  if (r.sender) {
    lsr_ = ntp_middle(r.sender->ntp);
    lsr_at_ms_ = now;
  }
  if (r.about) {
    stats_.remote_loss_percent = r.about->fraction_lost * 100.0 / 256.0;
    stats_.remote_jitter_ms = r.about->jitter * 1000.0 / clock_rate();
    if (r.about->lsr != 0) {
      // RFC 3550 §6.4.1: round trip = arrival - LSR - DLSR, all in 1/65536 s.
      uint32_t rtt = ntp_middle(ntp_now()) - r.about->lsr - r.about->dlsr;
      if (rtt < (1u << 31)) stats_.rtt_ms = rtt * 1000.0 / 65536.0;
    }
  }
}

void RtpSessionImpl::send_rtcp() {
  if (!have_remote_) return;
  std::optional<RtcpSenderInfo> sender;
  const uint64_t now = loop_.now_ms();
  if (sent_any_) {
    RtcpSenderInfo s;
    s.ntp = ntp_now();
    s.rtp_timestamp = last_ts_ + uint32_t((now - last_send_ms_) * clock_rate() / 1000);
    s.packets = uint32_t(stats_.packets_sent);
    s.octets = uint32_t(stats_.bytes_sent - RtpPacket::kHeader * stats_.packets_sent);
    sender = s;
  }
  std::optional<RtcpReportBlock> block;
  if (receive_stats_.received()) {
    RtcpReportBlock b;
    b.ssrc = stats_ssrc_;
    const uint64_t expected = receive_stats_.expected(), received = receive_stats_.received();
    const int64_t interval_expected = int64_t(expected - rtcp_prior_expected_);
    const int64_t interval_lost = interval_expected - int64_t(received - rtcp_prior_received_);
    rtcp_prior_expected_ = expected;
    rtcp_prior_received_ = received;
    b.fraction_lost = interval_expected > 0 && interval_lost > 0
                          ? uint8_t(std::min<int64_t>(255, (interval_lost << 8) / interval_expected))
                          : 0;
    b.cumulative_lost = int32_t(std::clamp<int64_t>(receive_stats_.lost(), -0x800000, 0x7fffff));
    b.highest_seq = receive_stats_.extended_highest();
    b.jitter = uint32_t(receive_stats_.jitter_units());
    if (lsr_) {
      b.lsr = lsr_;
      b.dlsr = uint32_t((now - lsr_at_ms_) * 65536 / 1000);
    }
    block = b;
  }
  char cname[64];
  std::snprintf(cname, sizeof cname, "zvon-%08x@%s", unsigned(ssrc_), local_address_.c_str());
  auto& out = buffers_.rtcp_send;
  size_t n = build_rtcp_report(out, ssrc_, sender, block, cname);
  if (n == 0) return;
  sockaddr_storage to = remote_;
  if (have_rtcp_remote_) {
    to = rtcp_remote_;
  } else {
    uint16_t port = ntohs(to.ss_family == AF_INET6 ? reinterpret_cast<sockaddr_in6*>(&to)->sin6_port
                                                   : reinterpret_cast<sockaddr_in*>(&to)->sin_port);
    if (port == 65535) return;
    set_port(to, uint16_t(port + 1));
  }
  uv_buf_t buf = uv_buf_init(reinterpret_cast<char*>(out.data()), unsigned(n));
  if (uv_udp_try_send(rtcp_udp_.get(), &buf, 1, reinterpret_cast<const sockaddr*>(&to)) >= 0)
    ++stats_.rtcp_sent;
}

Result<void> RtpSessionImpl::set_remote(std::string_view address, uint16_t port) {
  if (port == 0) return make_error("RTP remote port 0 is not a destination");
  auto addr = parse_address(address, port);
  if (!addr) return make_error("RTP remote address: " + addr.message());
  remote_ = *addr;
  have_remote_ = true;
  latched_ = false;  // let the first packets from the (new) peer latch again
  have_rtcp_remote_ = false;
  return {};
}

void RtpSessionImpl::set_codec(Pinned<Codec> codec, int audio_payload_type, int dtmf_payload_type,
                               std::string_view remote_fmtp, int ptime_ms) {
  // Made by the old codec's module: they go before its pin does, and are made again lazily.
  audio_encoder_.reset();
  inband_stream_.reset();
  translator_clock_.reset();
  translator_.reset();
  translator_from_ = {};
  codec_ = std::move(codec);
  remote_fmtp_ = std::string(remote_fmtp);
  // A packet time the codec cannot encode (Opus has no 30 ms frame) gets 20 ms, which all do.
  ptime_ms_ = codec_ && codec_->supports_frame_ms(ptime_ms) ? ptime_ms : 20;
  audio_pt_ = audio_payload_type;
  dtmf_pt_ = dtmf_payload_type;
  warned_transcode_ = false;
  have_source_ = false;  // whatever comes next starts a new timeline (with a marker)
  if (inband_) make_inband_stream();
}

void RtpSessionImpl::set_jitter_buffer(const JitterBufferSettings& settings) {
  jb_settings_ = settings;
  if (inband_) make_inband_stream();
}

void RtpSessionImpl::make_inband_stream() {
  inband_stream_.reset();
  if (!codec_ || !inband_) return;
  // The detector wants 8 kHz; every shipped codec decodes at that rate.
  inband_stream_ = DecodedStream::make(loop_, *codec_, 8000, jb_settings_,
                                       [this](std::span<const int16_t> pcm, JitterBuffer::Frame) {
                                         ++stats_.inband_dtmf_frames;
                                         if (inband_) inband_->feed(pcm);
                                       });
}

void RtpSessionImpl::set_dtmf_listener(std::function<void(char, DtmfSource)> listener) {
  dtmf_listener_ = std::move(listener);
}

void RtpSessionImpl::set_inband_dtmf(bool on) {
  if (!on) {
    inband_stream_.reset();
    inband_.reset();
    return;
  }
  if (inband_) return;
  inband_ = std::make_unique<InbandDtmfDetector>([this](char digit) {
    if (dtmf_listener_) dtmf_listener_(digit, DtmfSource::Inband);
  });
  make_inband_stream();
}

RtpSession::Stats RtpSessionImpl::stats() const {
  Stats s = stats_;
  s.packets_expected = receive_stats_.expected();
  s.packets_lost = receive_stats_.lost();
  s.jitter_ms = receive_stats_.jitter_ms();
  if (s.packets_expected)
    s.mos = mos_estimate(100.0 * double(std::max<int64_t>(s.packets_lost, 0)) / double(s.packets_expected),
                         s.jitter_ms);
  s.last_received_ms = latched_ ? last_from_remote_ms_ : 0;
  // The buffer in front of whatever decodes this leg's audio: the peer's translator when a
  // bridge transcodes it, else the in-band DTMF detector's.
  const JitterBuffer* inband = inband_stream_ ? inband_stream_->jitter_buffer() : nullptr;
  const JitterBuffer::Stats* jb = relayed_jb_ ? relayed_jb_.get() : inband ? &inband->stats() : nullptr;
  if (jb) s.jitter_buffer = *jb;
  return s;
}

// One set of buffers per loop thread, shared by all its sessions. libuv reads into `recv` and
// on_recv() handles every datagram before returning (a relay copies the payload into `send`),
// so nothing points into it once the callback is over, and the next session's read may reuse
// it; RTCP is read and handled the same way. A packet is built in `send` and handed to the
// kernel (uv_udp_try_send copies it) before send() returns, and taps see it only during
// that call; an RTCP report likewise. A receive buffer per session cost 256 KiB of address
// space per stream (the heap grew at each call, 16-32 KiB of RSS per call); the send and RTCP
// buffers in each session were 3.5 KiB of every session's 4.6 KiB. Each session keeps the
// reference: a thread_local read per packet costs a __tls_get_addr call in a shared library
// (measured +47 instructions per relayed packet). Sessions are made on their loop's thread.
RtpSessionImpl::ThreadBuffers& RtpSessionImpl::thread_buffers() {
  thread_local const std::unique_ptr<ThreadBuffers> shared =
      std::make_unique_for_overwrite<ThreadBuffers>();
  return *shared;
}

void RtpSessionImpl::on_alloc(uv_handle_t* handle, size_t, uv_buf_t* buf) {
  auto& in = static_cast<RtpSessionImpl*>(handle->data)->buffers_.recv;
  *buf = uv_buf_init(reinterpret_cast<char*>(in.data()), unsigned(in.size()));
}

void RtpSessionImpl::on_recv(uv_udp_t* handle, ssize_t nread, const uv_buf_t* buf,
                             const sockaddr* addr, unsigned flags) {
  auto* self = static_cast<RtpSessionImpl*>(handle->data);
  if (flags & UV_UDP_MMSG_FREE) return;  // the end of a recvmmsg batch: the buffer is ours
  if (nread < 0) {
    log(LogLevel::Debug, kLog, "receive error on port ", self->local_port_, ": ", uv_strerror(int(nread)));
    return;
  }
  if (nread == 0 || addr == nullptr || (flags & UV_UDP_PARTIAL)) return;
  self->on_datagram(reinterpret_cast<uint8_t*>(buf->base), size_t(nread), addr);
}

bool RtpSessionImpl::accept_source(const sockaddr* from, uint32_t ssrc) {
  uint64_t now = loop_.now_ms();
  bool known = have_remote_ && same_address(from, remote_);
  if (!known && !symmetric_) {
    // nat=no: only the address the SDP named is the peer; media from elsewhere is dropped.
    if (have_remote_) return false;
  } else if (!known) {
    // Before the first latch anything goes (that is the NAT case symmetric RTP is for). After
    // it, only the same stream from a new address, or anyone once the peer fell silent.
    if (latched_ && ssrc != latched_ssrc_ && now - last_from_remote_ms_ < kRelatchAfterMs)
      return false;
    copy_address(from, remote_);
    have_remote_ = true;
    log(LogLevel::Debug, kLog, "port ", local_port_, " latched onto ", describe(remote_));
  }
  latched_ = true;
  latched_ssrc_ = ssrc;
  last_from_remote_ms_ = now;
  return true;
}

void RtpSessionImpl::on_datagram(uint8_t* data, size_t len, const sockaddr* from) {
  RtpPacket packet(data, len);
  if (!packet.valid() || is_rtcp(packet.payload_type())) return;
  if (!accept_source(from, packet.ssrc())) return;
  ++stats_.packets_received;
  stats_.bytes_received += len;
  const int pt = packet.payload_type();
  if (dtmf_pt_ >= 0 && pt == dtmf_pt_) {
    if (auto digit = dtmf_.on_packet(packet); digit && dtmf_listener_)
      dtmf_listener_(*digit, DtmfSource::Rfc4733);
  } else if (pt == audio_pt_ && codec_) {
    if (receive_stats_.received() && packet.ssrc() != stats_ssrc_) receive_stats_.reset();
    stats_ssrc_ = packet.ssrc();
    receive_stats_.on_packet(packet.seq(), packet.timestamp(), uv_hrtime() / 1000, clock_rate());
    if (inband_stream_) inband_stream_->put(packet);
  }
  for (MediaTap* tap : taps_) tap->on_rtp_received(*this, packet);
  if (receiver_) receiver_->on_rtp(*this, packet);
}

void RtpSessionImpl::add_tap(MediaTap* tap) {
  if (std::find(taps_.begin(), taps_.end(), tap) == taps_.end()) taps_.push_back(tap);
}

void RtpSessionImpl::remove_tap(MediaTap* tap) { std::erase(taps_, tap); }

uint32_t RtpSessionImpl::clock_rate() const {
  return codec_ ? uint32_t(codec_->clock_rate()) : 8000u;
}

uint32_t RtpSessionImpl::rebase(Source source) {
  source_ = source;
  have_source_ = true;
  marker_pending_ = true;
  if (!sent_any_) return last_ts_;
  // The far end's jitter buffer should see time move on by as much as it really did.
  uint64_t gap_ms = std::max<uint64_t>(loop_.now_ms() - last_send_ms_, 20);
  return last_ts_ + uint32_t(gap_ms * clock_rate() / 1000);
}

void RtpSessionImpl::send(int payload_type, bool marker, uint32_t timestamp, size_t payload_len) {
  if (!sending_) return;  // the peer holds: it asked for no media from us
  uint8_t* h = buffers_.send.data();
  h[0] = 0x80;  // version 2, no padding, no extension, no CSRC
  h[1] = uint8_t((marker ? 0x80 : 0) | (payload_type & 0x7f));
  h[2] = uint8_t(seq_ >> 8);
  h[3] = uint8_t(seq_);
  h[4] = uint8_t(timestamp >> 24);
  h[5] = uint8_t(timestamp >> 16);
  h[6] = uint8_t(timestamp >> 8);
  h[7] = uint8_t(timestamp);
  h[8] = uint8_t(ssrc_ >> 24);
  h[9] = uint8_t(ssrc_ >> 16);
  h[10] = uint8_t(ssrc_ >> 8);
  h[11] = uint8_t(ssrc_);
  size_t len = RtpPacket::kHeader + payload_len;
  if (!taps_.empty()) {
    const RtpPacket sent(h, len);
    for (MediaTap* tap : taps_) tap->on_rtp_sent(*this, sent);
  }
  uv_buf_t buf = uv_buf_init(reinterpret_cast<char*>(h), unsigned(len));
  // try_send: no request to allocate; a full socket buffer drops the packet, as late audio
  // is worthless anyway.
  int r = uv_udp_try_send(udp_.get(), &buf, 1, reinterpret_cast<const sockaddr*>(&remote_));
  ++seq_;
  last_ts_ = timestamp;
  last_send_ms_ = loop_.now_ms();
  sent_any_ = true;
  if (r < 0) return;
  ++stats_.packets_sent;
  stats_.bytes_sent += len;
}

void RtpSessionImpl::send_payload(std::span<const uint8_t> payload, uint32_t timestamp, bool marker) {
  if (payload.size() > kMaxPacket - RtpPacket::kHeader) return;
  std::memcpy(buffers_.send.data() + RtpPacket::kHeader, payload.data(), payload.size());
  marker = std::exchange(marker_pending_, false) || marker;
  send(audio_pt_, marker, timestamp, payload.size());
}

void RtpSessionImpl::RelaySink::on_payload(std::span<const uint8_t> payload, uint32_t timestamp) {
  if (self->relay_base_pending_) {
    self->ts_offset_ = self->relay_base_ - timestamp;
    self->relay_base_pending_ = false;
  }
  // A talk spurt's first packet keeps its marker while packets map one to one.
  self->send_payload(payload, timestamp + self->ts_offset_, std::exchange(self->relay_marker_, false));
}

void RtpSessionImpl::AudioSink::on_payload(std::span<const uint8_t> payload, uint32_t timestamp) {
  self->send_payload(payload, timestamp, false);
}

void RtpSessionImpl::relay_translated(const RtpPacket& packet, const MediaEndpoint& from) {
  const Codec* from_codec = from.codec();
  if (!translator_ || translator_from_.get() != from_codec) {
    // Once per codec change of either side, never per packet.
    translator_.reset();
    translator_from_ = from.pinned_codec();
    std::string why = "no decoder";
    if (translator_from_.get() == from_codec)
      translator_ = Translator::make(*from_codec, *codec_, remote_fmtp_, ptime_ms_, &why, &jb_settings_);
    if (!translator_) {
      translator_from_ = {};
      if (!warned_transcode_) {
        warned_transcode_ = true;
        log(LogLevel::Warning, kLog, "port ", local_port_, ": cannot transcode ", from_codec->name(),
            " to ", codec_->name(), " (", why, "); dropping that audio");
      }
      return;
    }
    log(LogLevel::Verbose, kLog, "port ", local_port_, ": transcoding ",
        translator_->path().describe(*from_codec, *codec_));
    have_source_ = false;
    translator_clock_.reset();
    if (translator_->buffered()) {
      translator_clock_ = std::make_unique<PlayoutClock>(loop_, [this](uint64_t ms) { return play_translated(ms); });
      last_played_ = JitterBuffer::Frame::Silence;
      if (auto* source = dynamic_cast<const RtpSessionImpl*>(&from)) source->relayed_jb_ = translator_->jitter_buffer()->shared_stats();
    }
  }
  Source source{&from, packet.ssrc()};
  if (!have_source_ || !(source == source_)) {
    relay_base_ = rebase(source);
    relay_base_pending_ = true;
    translator_->restart();
  }
  if (translator_->buffered()) {
    translator_->buffer(packet, loop_.now_ms());
    translator_clock_->kick();
    return;
  }
  relay_marker_ = packet.marker();
  translator_->translate(packet, relay_sink_);
  relay_marker_ = false;
}

bool RtpSessionImpl::play_translated(uint64_t playout_ms) {
  // The first audio after a silence starts a talk spurt: the marker tells the far end's
  // jitter buffer it may adjust there.
  relay_marker_ = last_played_ == JitterBuffer::Frame::Silence;
  last_played_ = translator_->play(playout_ms, relay_sink_);
  relay_marker_ = false;
  return !translator_->jitter_buffer()->idle();
}

void RtpSessionImpl::relay(const RtpPacket& packet, const MediaEndpoint& from) {
  if (!have_remote_ || !codec_) return;
  int pt = packet.payload_type();
  bool is_dtmf = false;
  int out_pt;
  if (pt == from.audio_payload_type()) {
    out_pt = audio_pt_;
  } else if (pt == from.dtmf_payload_type()) {
    if (dtmf_pt_ < 0) return;  // this side did not negotiate telephone-event
    out_pt = dtmf_pt_;
    is_dtmf = true;
  } else {
    return;  // comfort noise or anything else this side never agreed to
  }

  const Codec* from_codec = from.codec();
  const bool translated = from_codec != nullptr && from_codec != codec_.get();
  if (!is_dtmf && translated) return relay_translated(packet, from);

  // The same codec (or digits): the payload goes through untouched.
  auto payload = packet.payload();
  if (payload.size() > kMaxPacket - RtpPacket::kHeader) return;
  std::memcpy(buffers_.send.data() + RtpPacket::kHeader, payload.data(), payload.size());
  Source source{&from, packet.ssrc()};
  const bool new_source = !have_source_ || !(source == source_);
  // Digits beside transcoded audio ride on the translator's timeline, as the audio does.
  Translator* timeline = translated && translator_ && translator_from_.get() == from_codec ? translator_.get() : nullptr;
  if (new_source && timeline) {
    timeline->restart();
    relay_base_pending_ = false;
  }
  const uint32_t in_ts = timeline ? timeline->map_timestamp(packet.timestamp()) : packet.timestamp();
  if (new_source) ts_offset_ = rebase(source) - in_ts;
  bool marker = packet.marker();
  if (!is_dtmf && marker_pending_) {
    marker = true;
    marker_pending_ = false;
  }
  send(out_pt, marker, in_ts + ts_offset_, payload.size());
}

void RtpSessionImpl::send_audio(std::span<const int16_t> pcm, int rate) {
  if (!have_remote_ || !codec_ || pcm.empty() || rate <= 0) return;
  if (!audio_encoder_ || audio_rate_ != rate) {
    // The encoder takes the prompt's rate where the codec has it (prompts are played at a
    // rate the codec takes), else the stream is resampled to the codec's own.
    audio_encoder_ =
        FrameEncoder::make(*codec_, rate, encode_rate_for(*codec_, rate), remote_fmtp_, ptime_ms_);
    audio_rate_ = rate;
    if (!audio_encoder_) {
      if (!warned_transcode_) {
        warned_transcode_ = true;
        log(LogLevel::Warning, kLog, "port ", local_port_, ": ", codec_->name(),
            " cannot encode prompts; not playing");
      }
      return;
    }
    have_source_ = false;
  }
  Source self{};
  if (!have_source_ || !(source_ == self)) {
    next_audio_ts_ = rebase(self);
    audio_encoder_->reset();
  }
  uint32_t ts = next_audio_ts_;
  next_audio_ts_ += uint32_t(uint64_t(pcm.size()) * clock_rate() / uint64_t(rate));
  audio_encoder_->push(pcm, ts, audio_sink_);
}

}  // namespace zvon
