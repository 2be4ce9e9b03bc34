#include "moh_player.h"

#include <algorithm>
#include <array>
#include <random>

#include "zvon/channel.h"
#include "zvon/core.h"

namespace zvon::moh {

MohPlayer::MohPlayer(Channel& channel, std::shared_ptr<const MusicClass> music)
    : channel_(channel), music_(std::move(music)) {
  // sort=random: another track first each time, so callers held often do not always hear
  // the same opening.
  if (music_->random && music_->tracks.size() > 1)
    track_ = std::random_device{}() % music_->tracks.size();
}

MohPlayer::~MohPlayer() {
  if (start_ms_) publish("MusicOnHoldStop");
}

void MohPlayer::publish(const char* type) {
  Event e;
  e.type = type;
  e.add("channel", channel_.name()).add("uniqueid", channel_.unique_id()).add("class", music_->name);
  channel_.core().events().publish(std::move(e));
}

void MohPlayer::start() {
  if (uv_timer_init(channel_.loop().uv(), timer_.get()) != 0) return;
  timer_.mark_open();
  timer_.get()->data = this;
  start_ms_ = channel_.loop().now_ms();
  publish("MusicOnHoldStart");
  tick();
}

void MohPlayer::tick() {
  const uint64_t now = channel_.loop().now_ms();
  uint64_t due = (now - start_ms_) / kFrameMs + 1;
  if (due > frames_sent_ + kMaxBurst) frames_sent_ = due - kMaxBurst;  // skip what is too late
  while (frames_sent_ < due) {
    send_frame();
    ++frames_sent_;
  }
  const uint64_t next_ms = start_ms_ + frames_sent_ * kFrameMs;
  uv_timer_start(
      timer_.get(), [](uv_timer_t* t) { static_cast<MohPlayer*>(t->data)->tick(); },
      next_ms > now ? next_ms - now : 0, 0);
}

void MohPlayer::send_frame() {
  std::array<int16_t, kFrameSamples> frame{};
  size_t filled = 0;
  // A frame may span the end of one track and the start of the next.
  while (filled < frame.size()) {
    const auto& samples = music_->tracks[track_]->samples;
    size_t n = std::min(frame.size() - filled, samples.size() - position_);
    std::copy_n(samples.begin() + long(position_), n, frame.begin() + long(filled));
    filled += n;
    position_ += n;
    if (position_ >= samples.size()) {
      position_ = 0;
      track_ = (track_ + 1) % music_->tracks.size();
    }
  }
  if (MediaEndpoint* media = channel_.media()) media->send_audio(frame);
}

}  // namespace zvon::moh
