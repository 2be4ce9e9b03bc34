// The media plane seen from a channel: an endpoint that receives and sends RTP on the
// channel's loop. Bridging, echo and playback plug receivers into endpoints.
#pragma once
#include <cstddef>
#include <cstdint>
#include <span>

#include "zvon/codec.h"
#include "zvon/module.h"

namespace zvon {

class MediaEndpoint;

// How a DTMF digit reached us. Every way ends as the same Channel::on_dtmf().
enum class DtmfSource {
  Rfc4733,  // telephone-event RTP packets
  SipInfo,  // SIP INFO, application/dtmf-relay or application/dtmf
  Inband,   // tones in the audio, found by the SpanDSP detector
};
constexpr const char* to_string(DtmfSource s) {
  return s == DtmfSource::Rfc4733 ? "rfc4733" : s == DtmfSource::SipInfo ? "info" : "inband";
}

// A view of one RTP packet (header and payload) in a receive buffer; valid during the call
// that hands it over.
class RtpPacket {
 public:
  RtpPacket(uint8_t* data, size_t len) : d_(data), n_(len) {}
  static constexpr size_t kHeader = 12;
  // Version 2, at least 12 bytes, and the length covers CSRCs, extension and padding.
  // Check before reading anything else.
  bool valid() const;
  uint8_t* data() const { return d_; }
  size_t size() const { return n_; }
  int payload_type() const { return d_[1] & 0x7f; }
  bool marker() const { return d_[1] & 0x80; }
  uint16_t seq() const { return uint16_t(d_[2] << 8 | d_[3]); }
  uint32_t timestamp() const { return uint32_t(d_[4]) << 24 | uint32_t(d_[5]) << 16 | uint32_t(d_[6]) << 8 | d_[7]; }
  uint32_t ssrc() const { return uint32_t(d_[8]) << 24 | uint32_t(d_[9]) << 16 | uint32_t(d_[10]) << 8 | d_[11]; }
  bool padded() const { return d_[0] & 0x20; }
  // Only on a valid() packet:
  size_t header_size() const;   // 12 + CSRCs + extension
  size_t padding_size() const;  // the trailing padding bytes (RFC 3550 P bit), 0 without
  std::span<uint8_t> payload() const {
    return {d_ + header_size(), n_ - header_size() - padding_size()};
  }

 private:
  uint8_t* d_;
  size_t n_;
};

// Gets each RTP packet an endpoint receives. The endpoint's loop. The packet's bytes live in
// the loop's receive buffer and are valid only during on_rtp(): copy what must outlive it.
class MediaReceiver {
 public:
  virtual ~MediaReceiver() = default;
  virtual void on_rtp(MediaEndpoint& from, const RtpPacket& packet) = 0;
};

// Sees every RTP packet an endpoint exchanges with its peer, whoever feeds or takes it (a
// bridge, a prompt, music on hold): what call recording listens to. The endpoint's loop; the
// packet is valid during the call only. Must not add or remove taps from inside a call.
class MediaTap {
 public:
  virtual ~MediaTap() = default;
  // A packet from the peer (audio, telephone-event or anything else it sent).
  virtual void on_rtp_received(const MediaEndpoint& endpoint, const RtpPacket& packet) = 0;
  // A packet just sent to the peer: relayed, transcoded or our own audio, in the endpoint's
  // codec and payload types.
  virtual void on_rtp_sent(const MediaEndpoint& endpoint, const RtpPacket& packet) = 0;
};

// One leg's RTP stream. The channel's loop.
class MediaEndpoint {
 public:
  virtual ~MediaEndpoint() = default;
  // The negotiated audio codec, or nullptr while none is.
  virtual const Codec* codec() const = 0;
  // The same, pinned: whoever keeps that codec's decoders (a transcoding peer) holds this.
  virtual Pinned<Codec> pinned_codec() const { return {}; }
  // The negotiated RTP payload types (audio, and RFC 4733 telephone-event or -1).
  virtual int audio_payload_type() const = 0;
  virtual int dtmf_payload_type() const = 0;
  // Where received packets go; nullptr drops them. The receiver must outlive the setting.
  virtual void set_receiver(MediaReceiver* receiver) = 0;
  // Sends a packet another endpoint received: sent from this endpoint's address with its own
  // SSRC and continuous sequence numbers and timestamps; payload types are mapped, and the
  // audio transcoded when the two codecs differ, along the cheapest translation path (G.711
  // μ-law <-> A-law by table; otherwise decode, resample where rates differ, encode).
  virtual void relay(const RtpPacket& packet, const MediaEndpoint& from) = 0;
  // Encodes and sends 16-bit PCM at `rate` (normally 20 ms of it) with the negotiated codec,
  // resampled when the codec cannot take that rate, in packets of the negotiated ptime.
  virtual void send_audio(std::span<const int16_t> pcm, int rate) = 0;
  // The same at 8 kHz (160 samples for 20 ms).
  void send_audio(std::span<const int16_t> pcm) { send_audio(pcm, 8000); }
  // Taps see every packet received and sent from now on until removed; the tap must be
  // removed before it is destroyed. Adding one twice has no effect.
  virtual void add_tap(MediaTap* tap) = 0;
  virtual void remove_tap(MediaTap* tap) = 0;
};

}  // namespace zvon
