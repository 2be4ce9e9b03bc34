#include "sound_player.h"

#include <algorithm>

#include "zvon/channel.h"

namespace zvon {

SoundPlayer::SoundPlayer(Channel& channel, std::shared_ptr<const Sound> sound)
    : channel_(channel),
      sound_(std::move(sound)),
      frame_(size_t(sound_->rate) * kFrameMs / 1000),
      frames_((sound_->samples.size() + frame_.size() - 1) / frame_.size()) {}

void SoundPlayer::start() {
  uv_timer_init(channel_.loop().uv(), timer_.get());
  timer_.mark_open();
  timer_.get()->data = this;
  start_ms_ = channel_.loop().now_ms();
  tick();
}

void SoundPlayer::tick() {
  const uint64_t now = channel_.loop().now_ms();
  const size_t due = std::min<size_t>(size_t((now - start_ms_) / kFrameMs) + 1, frames_);
  if (due > next_frame_ + kMaxBurst) next_frame_ = due - kMaxBurst;
  while (next_frame_ < due) send_frame(next_frame_++);
  if (next_frame_ >= frames_) {
    finished_ = true;
    channel_.wake();
    return;
  }
  const uint64_t next_ms = start_ms_ + next_frame_ * kFrameMs;
  uv_timer_start(
      timer_.get(), [](uv_timer_t* t) { static_cast<SoundPlayer*>(t->data)->tick(); },
      next_ms > now ? next_ms - now : 0, 0);
}

void SoundPlayer::send_frame(size_t index) {
  MediaEndpoint* media = channel_.media();
  if (!media) return;  // media went away (hang-up in progress): the frame is dropped
  const auto& s = sound_->samples;
  const size_t begin = index * frame_.size();
  const size_t n = std::min(frame_.size(), s.size() - begin);
  std::copy_n(s.begin() + long(begin), n, frame_.begin());
  std::fill(frame_.begin() + long(n), frame_.end(), int16_t(0));
  media->send_audio(frame_, sound_->rate);
}

}  // namespace zvon
