#include "zvon/bridge.h"

#include <cstdio>

#include "thread_random.h"
#include "zvon/channel.h"
#include "zvon/core.h"
#include "zvon/log.h"

namespace zvon {
namespace {

std::string new_bridge_id() {
  char id[32];
  std::snprintf(id, sizeof id, "bridge-%08x%08x", unsigned(thread_random32()),
                unsigned(thread_random32()));
  return id;
}

}  // namespace

void Bridge::Side::on_rtp(MediaEndpoint& from, const RtpPacket& packet) {
  if (peer) peer->relay(packet, from);
}

Bridge::Bridge(Channel& a, Channel& b) : a_(a), b_(b), id_(new_bridge_id()) {
  refresh();
  publish("BridgeEnter");
  log(LogLevel::Verbose, "bridge", a_.name(), " and ", b_.name(), " joined in ", id_);
}

Bridge::~Bridge() {
  update_music(a_, false, music_to_a_);
  update_music(b_, false, music_to_b_);
  // Only endpoints that still deliver to us: a re-INVITE may have replaced one meanwhile.
  if (auto* m = a_.media(); m && a_media_ == m) m->set_receiver(nullptr);
  if (auto* m = b_.media(); m && b_media_ == m) m->set_receiver(nullptr);
  publish("BridgeLeave");
  log(LogLevel::Verbose, "bridge", a_.name(), " and ", b_.name(), " left ", id_);
}

void Bridge::publish(const char* type) {
  Event e;
  e.type = type;
  e.add("bridge", id_).add("channel1", a_.name()).add("channel2", b_.name());
  a_.core().events().publish(std::move(e));
}

void Bridge::refresh() {
  MediaEndpoint* a = a_.media();
  MediaEndpoint* b = b_.media();
  // On hold nothing crosses: the holding side asked not to hear us (and what it still sends,
  // often its own music, is not for the other side), the other side hears our music instead.
  const bool held = a_.on_hold() || b_.on_hold();
  a_side_.peer = held ? nullptr : b;
  b_side_.peer = held ? nullptr : a;
  if (a) a->set_receiver(&a_side_);
  if (b) b->set_receiver(&b_side_);
  a_media_ = a;
  b_media_ = b;
  update_music(b_, a_.on_hold() && !b_.on_hold(), music_to_b_);
  update_music(a_, b_.on_hold() && !a_.on_hold(), music_to_a_);
}

void Bridge::update_music(Channel& listener, bool wanted, Music& music) {
  if (!wanted) {
    music.player.reset();
    music.provider = {};
    music.failed = false;
    return;
  }
  if (music.player || music.failed || listener.hung_up() || !listener.media()) return;
  music.provider = listener.core().find_hold_music();
  if (!music.provider) {
    music.failed = true;
    log(LogLevel::Notice, "bridge", listener.name(),
        ": the other side holds; no music on hold (is res_musiconhold loaded?)");
    return;
  }
  auto music_class = listener.var("MUSICCLASS").value_or("");
  auto player = music.provider->start(listener, music_class);
  if (!player) {
    music.failed = true;
    music.provider = {};
    log(LogLevel::Warning, "bridge", listener.name(), ": no music on hold: ", player.message());
    return;
  }
  music.player = std::move(*player);
}

Echo::Echo(Channel& channel) : channel_(channel) { refresh(); }

Echo::~Echo() {
  if (auto* m = channel_.media(); m && m == media_) m->set_receiver(nullptr);
}

void Echo::refresh() {
  media_ = channel_.media();
  if (media_) media_->set_receiver(this);
}

void Echo::on_rtp(MediaEndpoint& from, const RtpPacket& packet) { from.relay(packet, from); }

}  // namespace zvon
