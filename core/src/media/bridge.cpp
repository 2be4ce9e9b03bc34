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
  a_side_.peer = b;
  b_side_.peer = a;
  if (a) a->set_receiver(&a_side_);
  if (b) b->set_receiver(&b_side_);
  a_media_ = a;
  b_media_ = b;
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
