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

#include "telephone_event.h"
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
  void set_codec(Pinned<Codec> codec, int audio_payload_type, int dtmf_payload_type) override;
  void set_dtmf_listener(std::function<void(char digit)> listener) override;
  Stats stats() const override { return stats_; }

  // MediaEndpoint
  const Codec* codec() const override { return codec_.get(); }
  int audio_payload_type() const override { return audio_pt_; }
  int dtmf_payload_type() const override { return dtmf_pt_; }
  void set_receiver(MediaReceiver* receiver) override { receiver_ = receiver; }
  void relay(const RtpPacket& packet, const MediaEndpoint& from) override;
  void send_audio(std::span<const int16_t> pcm) override;

 private:
  // Largest packet we build (payload + 12-byte header); bigger ones are dropped.
  static constexpr size_t kMaxPacket = 1500;
  // libuv hands recvmmsg() 64 KiB per datagram slot; four slots let one wake-up read four
  // packets. The buffer is the loop thread's, shared by its sessions (see on_alloc).
  static constexpr size_t kRecvSlot = 64 * 1024;
  static constexpr size_t kRecvSlots = 4;

  static uint8_t* thread_recv_buffer();
  static void on_alloc(uv_handle_t* handle, size_t suggested, uv_buf_t* buf);
  static void on_recv(uv_udp_t* handle, ssize_t nread, const uv_buf_t* buf,
                      const sockaddr* addr, unsigned flags);
  void on_datagram(uint8_t* data, size_t len, const sockaddr* from);
  bool accept_source(const sockaddr* from, uint32_t ssrc);

  // Outgoing stream: who feeds it now (a relayed endpoint and SSRC, or our own audio).
  struct Source {
    const void* endpoint = nullptr;  // nullptr: send_audio()
    uint32_t ssrc = 0;
    bool operator==(const Source&) const = default;
  };
  // Starts a new source: returns its first timestamp, leaving a gap as long as the pause.
  uint32_t rebase(Source source);
  // Builds the 12-byte header into send_buf_ and sends header + `payload_len` bytes.
  void send(int payload_type, bool marker, uint32_t timestamp, size_t payload_len);
  // Writes `in` as this session's codec into `out`; 0 when no transcoding path exists.
  size_t transcode(const Codec& from, std::span<const uint8_t> in, uint8_t* out);
  uint32_t clock_rate() const;

  Loop& loop_;
  std::string local_address_;
  uint16_t local_port_ = 0;
  UvHandle<uv_udp_t> udp_;
  uint8_t* recv_buf_ = nullptr;  // the loop thread's receive buffer, shared (see on_alloc)
  std::array<uint8_t, kMaxPacket> send_buf_{};

  sockaddr_storage remote_{};
  bool have_remote_ = false;
  // Symmetric RTP: once packets arrive, the address they come from is the peer's.
  bool latched_ = false;
  uint32_t latched_ssrc_ = 0;
  uint64_t last_from_remote_ms_ = 0;

  Pinned<Codec> codec_;
  std::unique_ptr<CodecEncoder> encoder_;  // after codec_: destroyed first
  int audio_pt_ = -1;
  int dtmf_pt_ = -1;
  bool warned_transcode_ = false;

  MediaReceiver* receiver_ = nullptr;
  std::function<void(char)> dtmf_listener_;
  DtmfReceiver dtmf_;

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
};

}  // namespace zvon
