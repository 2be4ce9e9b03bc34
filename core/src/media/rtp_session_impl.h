// The RTP session behind zvon::RtpSession: one UDP socket on libuv, symmetric RTP, relaying
// with its own SSRC/sequence/timestamps, RFC 4733 digits. Everything runs on the loop the
// session was opened on (the channel's); nothing here is touched from another thread.
#pragma once
#include <sys/socket.h>

#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "decoded_stream.h"
#include "inband_dtmf.h"
#include "rtcp.h"
#include "rtp_receive_stats.h"
#include "frame_encoder.h"
#include "telephone_event.h"
#include "translator.h"
#include "zvon/loop.h"
#include "zvon/rtp.h"

namespace zvon {

class RtpSessionImpl final : public RtpSession {
 public:
  RtpSessionImpl(Loop& loop, std::string local_address);
  ~RtpSessionImpl() override;

  // Binds an even port of `ports` at `bind_to` (its port is ignored), starting at a random
  // one and moving on past ports in use; then starts receiving.
  Result<void> bind(const sockaddr_storage& bind_to, RtpPortRange ports);

  // RtpSession
  uint16_t local_port() const override { return local_port_; }
  const std::string& local_address() const override { return local_address_; }
  Result<void> set_remote(std::string_view address, uint16_t port) override;
  void set_codec(Pinned<Codec> codec, int audio_payload_type, int dtmf_payload_type,
                 std::string_view remote_fmtp, int ptime_ms) override;
  void set_dtmf_listener(std::function<void(char digit, DtmfSource source)> listener) override;
  void set_inband_dtmf(bool on) override;
  void set_symmetric(bool on) override { symmetric_ = on; }
  void set_sending(bool on) override { sending_ = on; }
  void set_jitter_buffer(const JitterBufferSettings& settings) override;
  JitterBufferSettings jitter_buffer() const override { return jb_settings_; }
  Stats stats() const override;

  // MediaEndpoint
  const Codec* codec() const override { return codec_.get(); }
  Pinned<Codec> pinned_codec() const override { return codec_; }
  int audio_payload_type() const override { return audio_pt_; }
  int dtmf_payload_type() const override { return dtmf_pt_; }
  void set_receiver(MediaReceiver* receiver) override { receiver_ = receiver; }
  void relay(const RtpPacket& packet, const MediaEndpoint& from) override;
  using MediaEndpoint::send_audio;
  void send_audio(std::span<const int16_t> pcm, int rate) override;
  void add_tap(MediaTap* tap) override;
  void remove_tap(MediaTap* tap) override;

 private:
  // Largest packet we build (payload + 12-byte header); bigger ones are dropped.
  static constexpr size_t kMaxPacket = 1500;
  // libuv hands recvmmsg() 64 KiB per datagram slot; four slots let one wake-up read four
  // packets. The buffer is the loop thread's, shared by its sessions (see on_alloc).
  static constexpr size_t kRecvSlot = 64 * 1024;
  static constexpr size_t kRecvSlots = 4;
  static constexpr size_t kRtcpOut = 512;  // our compound report: SR/RR, one block, CNAME

  // The buffers every session of one loop thread shares (see thread_buffers()): each is
  // used within one callback or one send and holds nothing across a return to the loop.
  struct ThreadBuffers {
    std::array<uint8_t, kRecvSlot * kRecvSlots> recv;  // RTP, a recvmmsg batch
    std::array<uint8_t, kMaxPacket> send;              // the RTP packet being sent
    std::array<uint8_t, kMaxPacket> rtcp_recv;
    std::array<uint8_t, kRtcpOut> rtcp_send;
  };

  static ThreadBuffers& thread_buffers();
  static void on_alloc(uv_handle_t* handle, size_t suggested, uv_buf_t* buf);
  static void on_recv(uv_udp_t* handle, ssize_t nread, const uv_buf_t* buf,
                      const sockaddr* addr, unsigned flags);
  void on_datagram(uint8_t* data, size_t len, const sockaddr* from);
  bool accept_source(const sockaddr* from, uint32_t ssrc);

  // RTCP on local_port_ + 1, best effort: without that port the session goes on without it.
  static constexpr uint64_t kRtcpIntervalMs = 5000;  // RFC 3550's minimum
  void open_rtcp(const sockaddr_storage& bind_to);
  void on_rtcp(const uint8_t* data, size_t len, const sockaddr* from);
  void send_rtcp();

  // Outgoing stream: who feeds it now (a relayed endpoint and SSRC, or our own audio).
  struct Source {
    const void* endpoint = nullptr;  // nullptr: send_audio()
    uint32_t ssrc = 0;
    bool operator==(const Source&) const = default;
  };
  // Starts a new source: returns its first timestamp, leaving a gap as long as the pause.
  uint32_t rebase(Source source);
  // Builds the 12-byte header into buffers_.send and sends header + `payload_len` bytes.
  void send(int payload_type, bool marker, uint32_t timestamp, size_t payload_len);
  // Relays audio of another codec through a Translator made for it (once per codec change).
  void relay_translated(const RtpPacket& packet, const MediaEndpoint& from);
  // One 20 ms frame of the jitter-buffered translator onto the wire; false once it is idle.
  bool play_translated(uint64_t playout_ms);
  // In-band DTMF: this leg's received audio, decoded at 8 kHz behind a jitter buffer.
  void make_inband_stream();
  // Sends an encoded payload (copied behind the header) from a translator or our own encoder.
  void send_payload(std::span<const uint8_t> payload, uint32_t timestamp, bool marker);

  // Translated payloads of the current relayed source: the first one fixes ts_offset_.
  struct RelaySink final : PayloadSink {
    RtpSessionImpl* self = nullptr;
    void on_payload(std::span<const uint8_t> payload, uint32_t timestamp) override;
  };
  // Payloads of send_audio(): their timestamps are ours already.
  struct AudioSink final : PayloadSink {
    RtpSessionImpl* self = nullptr;
    void on_payload(std::span<const uint8_t> payload, uint32_t timestamp) override;
  };
  uint32_t clock_rate() const;

  Loop& loop_;
  std::string local_address_;
  uint16_t local_port_ = 0;
  UvHandle<uv_udp_t> udp_;
  ThreadBuffers& buffers_;  // the loop thread's, shared by its sessions

  sockaddr_storage remote_{};
  bool have_remote_ = false;
  // Symmetric RTP: once packets arrive, the address they come from is the peer's.
  bool symmetric_ = true;
  bool sending_ = true;
  JitterBufferSettings jb_settings_;
  bool latched_ = false;
  uint32_t latched_ssrc_ = 0;
  uint64_t last_from_remote_ms_ = 0;

  Pinned<Codec> codec_;
  std::string remote_fmtp_;
  int ptime_ms_ = 20;
  // send_audio()'s encoder, made at the first prompt frame (again when the prompt's rate
  // changes); after codec_: destroyed first.
  std::unique_ptr<FrameEncoder> audio_encoder_;
  int audio_rate_ = 0;  // the PCM rate audio_encoder_ takes
  // The relayed peer's codec (pinned while its decoder lives here) and the translator to ours.
  Pinned<Codec> translator_from_;
  std::unique_ptr<Translator> translator_;  // after translator_from_: destroyed first
  std::unique_ptr<PlayoutClock> translator_clock_;  // after translator_: stopped first
  JitterBuffer::Frame last_played_ = JitterBuffer::Frame::Silence;
  // The statistics of the jitter buffer of the peer that transcodes what this leg receives,
  // for stats(); kept when that buffer goes, so the hang-up event still has them.
  mutable std::shared_ptr<const JitterBuffer::Stats> relayed_jb_;
  bool warned_transcode_ = false;
  RelaySink relay_sink_;
  AudioSink audio_sink_;
  bool relay_base_pending_ = false;  // the next translated payload fixes ts_offset_ ...
  uint32_t relay_base_ = 0;          // ... so that it goes out at this timestamp
  bool relay_marker_ = false;        // the packet being translated had the marker bit
  int audio_pt_ = -1;
  int dtmf_pt_ = -1;

  MediaReceiver* receiver_ = nullptr;
  std::vector<MediaTap*> taps_;  // recorders listening (few; usually none)
  std::function<void(char, DtmfSource)> dtmf_listener_;
  DtmfReceiver dtmf_;
  std::unique_ptr<InbandDtmfDetector> inband_;  // while in-band detection is on
  std::unique_ptr<DecodedStream> inband_stream_;  // feeds inband_; after it: destroyed first
  RtpReceiveStats receive_stats_;                // of the peer's audio stream
  uint32_t stats_ssrc_ = 0;                       // the stream receive_stats_ counts

  uint32_t ssrc_ = 0;
  uint16_t seq_ = 0;
  uint32_t last_ts_ = 0;
  uint64_t last_send_ms_ = 0;
  bool sent_any_ = false;
  Source source_;
  bool have_source_ = false;
  uint32_t ts_offset_ = 0;     // relayed timestamp + offset = ours
  uint32_t next_audio_ts_ = 0; // for send_audio()
  bool marker_pending_ = false;

  Stats stats_;

  UvHandle<uv_udp_t> rtcp_udp_;
  sockaddr_storage rtcp_remote_{};  // latched from the peer's reports, else RTP port + 1
  bool have_rtcp_remote_ = false;
  uint64_t rtcp_prior_expected_ = 0;  // for the fraction lost of each interval
  uint64_t rtcp_prior_received_ = 0;
  uint32_t lsr_ = 0;                  // middle of the NTP time of the peer's last SR
  uint64_t lsr_at_ms_ = 0;            // when it arrived (loop clock)
  UvHandle<uv_timer_t> rtcp_timer_;   // last: closed first
};

}  // namespace zvon
