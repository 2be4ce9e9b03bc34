#include "call_recorder.h"

#include <algorithm>

namespace zvon::record {

CallRecorder::CallRecorder(Loop& loop, MediaEndpoint& endpoint, int rate, Sink& sink)
    : loop_(loop),
      endpoint_(endpoint),
      sink_(sink),
      received_(rate, true),
      sent_(rate, false),
      received_frame_(received_.frame_samples()),
      sent_frame_(sent_.frame_samples()) {
  endpoint_.add_tap(this);
  uv_timer_init(loop_.uv(), timer_.get());
  timer_.mark_open();
  timer_.get()->data = this;
  start_ms_ = loop_.now_ms() + kDelayMs;
  uv_timer_start(
      timer_.get(), [](uv_timer_t* t) { static_cast<CallRecorder*>(t->data)->tick(); },
      kDelayMs + LegDecoder::kFrameMs, LegDecoder::kFrameMs);
}

CallRecorder::~CallRecorder() { endpoint_.remove_tap(this); }

void CallRecorder::on_rtp_received(const MediaEndpoint& endpoint, const RtpPacket& packet) {
  received_.push(endpoint, packet, loop_.now_ms());
}

void CallRecorder::on_rtp_sent(const MediaEndpoint& endpoint, const RtpPacket& packet) {
  sent_.push(endpoint, packet, loop_.now_ms());
}

void CallRecorder::next_frame(LegDecoder& leg, std::vector<int16_t>& frame) {
  if (!leg.pop(frame)) std::fill(frame.begin(), frame.end(), int16_t(0));
  if (leg.frames_queued() > kMaxQueuedFrames) leg.drop(leg.frames_queued() - kResyncFrames);
}

void CallRecorder::tick() {
  const uint64_t now = loop_.now_ms();
  if (now < start_ms_) return;
  const uint64_t due = (now - start_ms_) / LegDecoder::kFrameMs;
  // After a stall of the loop, a second at most is filled in at once.
  if (due > frames_ + 50) frames_ = due - 50;
  while (frames_ < due) {
    received_.play(start_ms_ + frames_ * LegDecoder::kFrameMs);
    next_frame(received_, received_frame_);
    next_frame(sent_, sent_frame_);
    ++frames_;
    sink_.on_frames(received_frame_, sent_frame_);
  }
}

}  // namespace zvon::record
