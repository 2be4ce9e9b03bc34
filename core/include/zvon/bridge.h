// Two channels joined so that each hears the other. Both must live on the same loop; RTP is
// relayed packet by packet without decoding when the codecs match. The loop's thread.
#pragma once
#include <memory>
#include <string>

#include "zvon/hold_music.h"
#include "zvon/media.h"
#include "zvon/module.h"

namespace zvon {

class Channel;

class Bridge {
 public:
  // Joins the media of `a` and `b` and publishes BridgeEnter; leaving (destruction) detaches
  // them and publishes BridgeLeave.
  Bridge(Channel& a, Channel& b);
  ~Bridge();
  Bridge(const Bridge&) = delete;
  Bridge& operator=(const Bridge&) = delete;

  // Re-reads the channels' media endpoints (after a re-INVITE replaced one) and their hold
  // state: while one side holds, nothing is relayed and the other side hears music on hold
  // (its channel variable MUSICCLASS names the class; the default class without it).
  void refresh();
  const std::string& id() const { return id_; }

 private:
  struct Side : MediaReceiver {
    MediaEndpoint* peer = nullptr;
    void on_rtp(MediaEndpoint& from, const RtpPacket& packet) override;
  };
  // Music to one side while the other holds; the player goes before its module's pin.
  struct Music {
    Pinned<HoldMusic> provider;
    std::unique_ptr<HoldMusicPlayer> player;
    bool failed = false;  // tried and could not: not retried on every refresh
  };
  void publish(const char* event_type);
  void update_music(Channel& listener, bool wanted, Music& music);
  Channel& a_;
  Channel& b_;
  Side a_side_;  // receives from a, sends to b
  Side b_side_;
  MediaEndpoint* a_media_ = nullptr;  // the endpoints our sides are plugged into
  MediaEndpoint* b_media_ = nullptr;
  Music music_to_a_;  // while b holds
  Music music_to_b_;  // while a holds
  std::string id_;
};

// Sends what a channel sends straight back to it (the Echo application). The loop's thread.
class Echo : MediaReceiver {
 public:
  explicit Echo(Channel& channel);
  ~Echo();
  Echo(const Echo&) = delete;
  Echo& operator=(const Echo&) = delete;

  // Re-reads the channel's media endpoint (answered since, or replaced by a re-INVITE).
  void refresh();

 private:
  void on_rtp(MediaEndpoint& from, const RtpPacket& packet) override;
  Channel& channel_;
  MediaEndpoint* media_ = nullptr;
};

}  // namespace zvon
