#include "zvon/channel.h"

#include <atomic>
#include <chrono>
#include <cstdio>

#include "channel_registry.h"
#include "core_impl.h"
#include "device_state_registry.h"
#include "zvon/device_state.h"
#include "zvon/core.h"
#include "zvon/log.h"

namespace zvon {

std::string_view to_string(ChannelState s) {
  switch (s) {
    case ChannelState::Down: return "Down";
    case ChannelState::Ring: return "Ring";
    case ChannelState::Dialing: return "Dialing";
    case ChannelState::Ringing: return "Ringing";
    case ChannelState::Progress: return "Progress";
    case ChannelState::Up: return "Up";
    case ChannelState::Hungup: return "Hungup";
  }
  return "?";
}

std::string_view to_string(HangupCause c) {
  switch (c) {
    case HangupCause::Unknown: return "UNKNOWN";
    case HangupCause::Unallocated: return "UNALLOCATED";
    case HangupCause::Normal: return "NORMAL_CLEARING";
    case HangupCause::Busy: return "USER_BUSY";
    case HangupCause::NoUserResponse: return "NO_USER_RESPONSE";
    case HangupCause::NoAnswer: return "NO_ANSWER";
    case HangupCause::CallRejected: return "CALL_REJECTED";
    case HangupCause::Congestion: return "CONGESTION";
    case HangupCause::Failure: return "FAILURE";
    case HangupCause::OriginatorCancel: return "ORIGINATOR_CANCEL";
  }
  return "UNKNOWN";
}

namespace {

// Channel serial numbers, unique for the process: a core registry counter.
std::atomic<uint64_t> channel_serial{0};
const int64_t process_start = std::chrono::duration_cast<std::chrono::seconds>(
                                  std::chrono::system_clock::now().time_since_epoch())
                                  .count();

ChannelRegistry* registry_of(Core& core) {
  auto* impl = dynamic_cast<CoreImpl*>(&core);
  return impl ? &impl->channel_registry() : nullptr;
}

}  // namespace

std::shared_ptr<Channel> Channel::create(Core& core, Loop& loop, std::string_view technology,
                                         std::string_view peer, Direction direction,
                                         ModuleUse technology_use) {
  uint64_t serial = ++channel_serial;
  char suffix[16];
  std::snprintf(suffix, sizeof suffix, "-%08llx", static_cast<unsigned long long>(serial));
  std::string name = cat(technology, "/", peer, suffix);
  auto ch = std::make_shared<Channel>(Key{}, core, loop, std::string(technology), std::move(name),
                                      direction, std::move(technology_use));
  ch->device_ = cat(technology, "/", peer);
  ch->unique_id_ = cat(process_start, ".", serial);
  if (auto* reg = registry_of(core)) reg->add(*ch);
  ch->publish("ChannelCreated");
  return ch;
}

Channel::Channel(Key, Core& core, Loop& loop, std::string technology, std::string name,
                 Direction direction, ModuleUse technology_use)
    : core_(core),
      loop_(loop),
      technology_(std::move(technology)),
      name_(std::move(name)),
      direction_(direction),
      tech_use_(std::move(technology_use)),
      created_ms_(loop.now_ms()) {
  device_state_ = DeviceState::NotInUse;
}

Channel::~Channel() {
  destroy_attachments();  // before the media they may listen to
  // The driver goes first: it may still report to the channel while it winds down.
  driver_.reset();
  if (auto* reg = registry_of(core_)) reg->remove(*this);
  // A channel destroyed without a hang-up no longer uses its device either; the event below
  // still names the state it was in.
  auto was = std::exchange(state_, ChannelState::Hungup);
  update_device_state();
  state_ = was;
  publish("ChannelDestroyed");
}

void Channel::set_driver(std::unique_ptr<ChannelDriver> driver) {
  driver_ = std::move(driver);
  if (driver_ && driver_listens_) driver_->listen_for_digits(true);
}

DigitListening Channel::listen_for_digits() {
  ++digit_listeners_;
  if (!driver_listens_) {
    driver_listens_ = true;
    if (driver_) driver_->listen_for_digits(true);
  }
  return DigitListening(weak_from_this());
}

void Channel::stop_listening_for_digits() {
  if (--digit_listeners_ > 0 || listen_check_posted_) return;
  // Not at once: the next reader usually starts in this same turn (the dialplan's next
  // priority), and a detector stopped and started again would lose a key in progress.
  listen_check_posted_ = true;
  loop_.post([weak = weak_from_this()] {
    auto self = weak.lock();
    if (!self) return;
    self->listen_check_posted_ = false;
    if (self->digit_listeners_ > 0 || !self->driver_listens_) return;
    self->driver_listens_ = false;
    if (self->driver_) self->driver_->listen_for_digits(false);
  });
}

DigitListening& DigitListening::operator=(DigitListening&& other) noexcept {
  if (this != &other) {
    release();
    channel_ = std::move(other.channel_);
  }
  return *this;
}

DigitListening::~DigitListening() { release(); }

void DigitListening::release() {
  if (auto channel = channel_.lock()) channel->stop_listening_for_digits();
  channel_.reset();
}

void Channel::set_var(std::string_view name, std::string_view value) {
  vars_.insert_or_assign(std::string(name), std::string(value));
}

void Channel::unset_var(std::string_view name) { vars_.erase(std::string(name)); }

std::optional<std::string_view> Channel::var(std::string_view name) const {
  auto it = vars_.find(std::string(name));
  if (it == vars_.end()) return std::nullopt;
  return std::string_view(it->second);
}

void Channel::set_state(ChannelState s) {
  if (state_ == s) return;
  state_ = s;
  update_device_state();
  publish("ChannelState");
  if (s == ChannelState::Hungup) destroy_attachments();
}

bool Channel::attach(std::string key, std::unique_ptr<ChannelAttachment> attachment) {
  if (hung_up()) return false;
  for (auto& [k, a] : attachments_) {
    if (k == key) {
      auto old = std::exchange(a, std::move(attachment));
      return true;  // the old one is destroyed here, after the swap
    }
  }
  attachments_.emplace_back(std::move(key), std::move(attachment));
  return true;
}

ChannelAttachment* Channel::attachment(std::string_view key) const {
  for (auto& [k, a] : attachments_)
    if (k == key) return a.get();
  return nullptr;
}

bool Channel::detach(std::string_view key) {
  for (auto it = attachments_.begin(); it != attachments_.end(); ++it) {
    if (it->first == key) {
      auto gone = std::move(it->second);
      attachments_.erase(it);
      return true;  // destroyed on return, when the list no longer holds it
    }
  }
  return false;
}

void Channel::destroy_attachments() {
  // Taken out first: an attachment's destructor may look at the channel.
  auto gone = std::move(attachments_);
  attachments_.clear();
  while (!gone.empty()) gone.pop_back();
}

void Channel::publish(std::string_view type) {
  Event e;
  e.type = std::string(type);
  e.add("channel", name_).add("uniqueid", unique_id_).add("state", std::string(to_string(state_)));
  e.add("direction", direction_ == Direction::Inbound ? "in" : "out");
  if (type == "ChannelHangup" || type == "ChannelDestroyed")
    e.add("cause", std::to_string(int(cause_))).add("cause_text", std::string(to_string(cause_)))
        .add("hungup_by", remote_hangup_ ? "remote" : "local");  // CDRs: which side hung up
  if (!caller_.number.empty()) e.add("caller", caller_.number);
  if (!caller_.name.empty()) e.add("caller_name", caller_.name);
  if (!dialed_.empty()) e.add("dialed", dialed_);
  if (!location_.context.empty()) e.add("context", location_.context);
  // The call's media quality goes with its end (RTP packets, loss, jitter).
  if (type == "ChannelHangup" && driver_)
    for (auto& [k, v] : driver_->media_stats()) e.add("rtp_" + k, v);
  core_.events().publish(std::move(e));
}

void Channel::update_device_state() {
  DeviceState now = channel_device_state(state_, direction_, held_);
  if (now == device_state_) return;
  auto* impl = dynamic_cast<CoreImpl*>(&core_);
  if (!impl) return;
  impl->device_state_registry().channel_changed(device_, std::exchange(device_state_, now), now);
}

void Channel::changed() {
  wake();
  if (watcher_) watcher_->on_channel_changed(*this);
}

void Channel::on_ringing() {
  if (state_ == ChannelState::Down || state_ == ChannelState::Dialing) set_state(ChannelState::Ringing);
  changed();
}

void Channel::on_progress() {
  if (state_ != ChannelState::Up && state_ != ChannelState::Hungup) set_state(ChannelState::Progress);
  changed();
}

void Channel::on_answered() {
  if (state_ == ChannelState::Hungup) return;
  set_state(ChannelState::Up);
  changed();
}

void Channel::on_hangup(HangupCause cause) {
  if (hung_up()) return;
  cause_ = cause;
  remote_hangup_ = true;
  set_state(ChannelState::Hungup);
  publish("ChannelHangup");
  changed();
}

void Channel::on_dtmf(char digit, DtmfSource source) {
  digits_ += digit;
  log(LogLevel::Verbose, "channel", name_, ": DTMF ", std::string(1, digit), " (", to_string(source), ")");
  Event e;
  e.type = "DTMF";
  e.add("channel", name_).add("uniqueid", unique_id_).add("digit", std::string(1, digit))
      .add("source", to_string(source));
  core_.events().publish(std::move(e));
  changed();
}

void Channel::on_hold(bool held) {
  if (held == held_ || hung_up()) return;
  held_ = held;
  update_device_state();
  log(LogLevel::Verbose, "channel", name_, held ? ": put on hold by the far end" : ": taken off hold");
  Event e;
  e.type = held ? "Hold" : "Unhold";
  e.add("channel", name_).add("uniqueid", unique_id_);
  core_.events().publish(std::move(e));
  changed();
}

void Channel::ring() {
  if (hung_up() || state_ == ChannelState::Up) return;
  if (driver_) driver_->ring();
  set_state(ChannelState::Ringing);
}

void Channel::progress() {
  if (hung_up() || state_ == ChannelState::Up) return;
  if (driver_) driver_->progress();
  set_state(ChannelState::Progress);
}

void Channel::answer() {
  if (hung_up() || state_ == ChannelState::Up) return;
  if (driver_) driver_->answer();
  set_state(ChannelState::Up);
}

void Channel::call() {
  if (hung_up()) return;
  set_state(ChannelState::Dialing);
  if (driver_) driver_->call();
}

void Channel::hangup(HangupCause cause) {
  if (hung_up()) return;
  cause_ = cause;
  set_state(ChannelState::Hungup);
  if (driver_) driver_->hangup(cause);
  publish("ChannelHangup");
  changed();
}

void Channel::WaitAwaiter::await_suspend(std::coroutine_handle<> h) {
  ch.waiter_ = h;
  ch.timed_out_ = false;
  if (timeout.count() >= 0) {
    if (!ch.timer_.get()->data) {
      uv_timer_init(ch.loop_.uv(), ch.timer_.get());
      ch.timer_.mark_open();
      ch.timer_.get()->data = &ch;
    }
    uv_timer_start(ch.timer_.get(),
                   [](uv_timer_t* t) { static_cast<Channel*>(t->data)->resume_waiter(true); },
                   uint64_t(timeout.count()), 0);
  }
}

Channel::WaitResult Channel::WaitAwaiter::await_resume() {
  if (!even_if_hung_up && ch.hung_up()) throw ChannelHungUp();
  return ch.timed_out_ ? WaitResult::TimedOut : WaitResult::Woken;
}

void Channel::wake() {
  if (wake_posted_ || !waiter_) return;
  wake_posted_ = true;
  loop_.post([weak = weak_from_this()] {
    if (auto self = weak.lock()) {
      self->wake_posted_ = false;
      self->resume_waiter(false);
    }
  });
}

void Channel::resume_waiter(bool timed_out) {
  if (!waiter_) return;
  if (timer_.get()->data) uv_timer_stop(timer_.get());
  timed_out_ = timed_out;
  auto h = std::exchange(waiter_, {});
  // The coroutine may drop the last reference to this channel; `this` is not touched after.
  h.resume();
}

void Channel::set_application(std::string name, ModuleUse use) {
  app_name_ = std::move(name);
  app_use_ = std::move(use);
}

void Channel::clear_application() {
  app_name_.clear();
  app_use_.reset();
}

ChannelInfo Channel::info() const {
  ChannelInfo i;
  i.name = name_;
  i.unique_id = unique_id_;
  i.state = std::string(to_string(state_));
  i.caller = caller_.name.empty() ? caller_.number : cat('"', caller_.name, "\" <", caller_.number, ">");
  if (!location_.context.empty())
    i.location = cat(location_.context, ",", location_.exten, ",", location_.priority);
  i.application = app_name_;
  i.loop = loop_.name();
  i.age_seconds = int64_t((loop_.now_ms() - created_ms_) / 1000);
  if (driver_) {
    i.detail = driver_->describe();
    i.media_stats = driver_->media_stats();
  }
  i.on_hold = held_;
  i.technology_module = tech_use_.module_name();
  i.application_module = app_use_.module_name();
  return i;
}

}  // namespace zvon
