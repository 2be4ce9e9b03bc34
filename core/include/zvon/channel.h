// A channel: one leg of a call, owned by one loop. Its technology's driver moves the
// signalling; dialplan code suspends on wait() and is woken by the channel's state changes.
#pragma once
#include <chrono>
#include <coroutine>
#include <cstdint>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>
#include <utility>

#include "zvon/loop.h"
#include "zvon/media.h"
#include "zvon/module.h"

namespace zvon {

class Core;
class Channel;
enum class DeviceState;  // zvon/device_state.h

enum class Direction { Inbound, Outbound };

enum class ChannelState {
  Down,      // created, nothing sent yet
  Ring,      // inbound: offered to us, not answered
  Dialing,   // outbound: INVITE sent
  Ringing,   // the far end is alerting (180), or we told the caller it is
  Progress,  // early media (183)
  Up,        // answered
  Hungup,
};
std::string_view to_string(ChannelState);

// Q.850 cause values, as Asterisk uses them.
enum class HangupCause : int {
  Unknown = 0,
  Unallocated = 1,        // no such number / extension (SIP 404)
  Normal = 16,
  Busy = 17,              // 486
  NoUserResponse = 18,    // 408
  NoAnswer = 19,          // 480
  CallRejected = 21,      // 403/603
  Congestion = 34,        // 503
  Failure = 38,           // 500
  OriginatorCancel = 127, // the caller gave up (CANCEL)
};
std::string_view to_string(HangupCause);

struct CallerId {
  std::string number;
  std::string name;
};

// Where a channel is in the dialplan.
struct DialplanLocation {
  std::string context;
  std::string exten;
  int priority = 1;
};

// Thrown from Channel::wait() when the channel hangs up: it unwinds dialplan code, and RAII
// in the apps releases what they hold (outgoing legs, bridges, players).
class ChannelHungUp : public std::runtime_error {
 public:
  ChannelHungUp() : std::runtime_error("channel hung up") {}
};

// The technology's side of a channel. The channel's loop; the driver posts to its own
// threads (the SIP stack's) as it needs.
class ChannelDriver {
 public:
  virtual ~ChannelDriver() = default;
  // Outbound: start the call (send the INVITE).
  virtual void call() = 0;
  // Inbound: tell the caller it is ringing (180) / send early media (183) / answer (200).
  virtual void ring() = 0;
  virtual void progress() = 0;
  virtual void answer() = 0;
  // End the leg in the way its state needs (BYE, CANCEL, or a final error answer from `cause`).
  virtual void hangup(HangupCause cause) = 0;
  // The leg's RTP, or nullptr before media is negotiated.
  virtual MediaEndpoint* media() = 0;
  // One line for `core show channel`: peer address, codec, ...
  virtual std::string describe() const { return {}; }
  // Media statistics as name/value pairs (packets, loss, jitter ...), for `core show channel`
  // and the hang-up event.
  virtual std::vector<std::pair<std::string, std::string>> media_stats() const { return {}; }
  // Whether something on the channel reads the caller's keys now (see DigitListening). Keys
  // that arrive as messages (RFC 4733 events, SIP INFO) are delivered either way; keys that
  // cost work on every packet to find (in-band tones, decoded from the audio) are looked
  // for only while this is on.
  virtual void listen_for_digits(bool /*on*/) {}
};

// Observes another channel's changes (the Dial app watches its outgoing legs). Same loop.
class ChannelWatcher {
 public:
  virtual ~ChannelWatcher() = default;
  virtual void on_channel_changed(Channel& channel) = 0;
};

// Something a module keeps on a channel while the call lasts (MixMonitor's recorder), found
// by a key. Attachments are destroyed, the last attached first, when the channel hangs up or
// is destroyed, before its driver and media go; so one may hold a MediaTap on the channel's
// media. It keeps its module loaded with a ModuleUse of its own.
class ChannelAttachment {
 public:
  virtual ~ChannelAttachment() = default;
};

// Held by whatever reads the caller's keys on a channel (a menu, Read, Record's '#', Echo's
// '#', an interruptible prompt): while at least one is held, the channel's driver listens for
// keys it would otherwise not decode (ChannelDriver::listen_for_digits). Listening ends one
// turn of the loop after the last one goes, so that one reader following another
// (Background, then WaitExten) keeps the same detector without a gap. Made by Channel::listen_for_digits();
// move-only; the channel's loop.
class DigitListening {
 public:
  DigitListening() = default;
  DigitListening(DigitListening&& other) noexcept = default;
  DigitListening& operator=(DigitListening&& other) noexcept;
  ~DigitListening();

 private:
  friend class Channel;
  explicit DigitListening(std::weak_ptr<Channel> channel) : channel_(std::move(channel)) {}
  void release();
  std::weak_ptr<Channel> channel_;
};

// The snapshot `core show channels` prints; safe to hand to another thread.
struct ChannelInfo {
  std::string name;
  std::string unique_id;
  std::string state;
  std::string caller;
  std::string location;     // context,exten,priority
  std::string application;  // running app, or ""
  std::string loop;
  int64_t age_seconds = 0;
  std::string detail;       // the driver's describe()
  std::string technology_module;
  std::string application_module;
  std::vector<std::pair<std::string, std::string>> media_stats;  // the driver's media_stats()
  bool on_hold = false;
};

// Created, used and destroyed on its loop's thread (the last shared_ptr must be let go there).
class Channel : public std::enable_shared_from_this<Channel> {
  struct Key {
    explicit Key() = default;
  };

 public:
  // Creates a channel named "TECH/peer-<serial>" on `loop`. The loop's thread.
  // `technology_use` pins the technology's module for the channel's life.
  static std::shared_ptr<Channel> create(Core& core, Loop& loop, std::string_view technology,
                                         std::string_view peer, Direction direction,
                                         ModuleUse technology_use);
  ~Channel();
  Channel(const Channel&) = delete;
  Channel& operator=(const Channel&) = delete;

  // --- identity; any thread may read these, they never change
  const std::string& name() const { return name_; }
  const std::string& unique_id() const { return unique_id_; }
  const std::string& technology() const { return technology_; }
  // "SIP/101": the device this channel is a call of (hints name devices).
  const std::string& device() const { return device_; }
  Direction direction() const { return direction_; }
  Loop& loop() const { return loop_; }
  Core& core() const { return core_; }

  // Everything below: the channel's loop only.
  void set_driver(std::unique_ptr<ChannelDriver> driver);
  ChannelDriver* driver() { return driver_.get(); }
  MediaEndpoint* media() { return driver_ ? driver_->media() : nullptr; }

  ChannelState state() const { return state_; }
  bool hung_up() const { return state_ == ChannelState::Hungup; }
  HangupCause hangup_cause() const { return cause_; }
  // The cause a later hangup() without a cause will use (Dial sets it from the dial result).
  void set_hangup_cause(HangupCause c) { cause_ = c; }
  bool hung_up_by_remote() const { return remote_hangup_; }

  CallerId& caller() { return caller_; }
  const CallerId& caller() const { return caller_; }
  // The number the caller dialed (inbound) or we dialed (outbound).
  const std::string& dialed() const { return dialed_; }
  void set_dialed(std::string d) { dialed_ = std::move(d); }

  // Channel variables.
  void set_var(std::string_view name, std::string_view value);
  void unset_var(std::string_view name);
  std::optional<std::string_view> var(std::string_view name) const;
  const std::unordered_map<std::string, std::string>& vars() const { return vars_; }

  DialplanLocation& location() { return location_; }
  const DialplanLocation& location() const { return location_; }

  // --- the driver reports what the network did
  void on_ringing();
  void on_progress();
  void on_answered();
  void on_hangup(HangupCause cause);
  // A digit, however it came: kept in pending_digits(), published as a DTMF event.
  void on_dtmf(char digit, DtmfSource source = DtmfSource::Rfc4733);
  // The far end put the call on hold (true) or took it off (false): a Hold / Unhold event,
  // and a bridge plays music on hold to the other side meanwhile.
  void on_hold(bool held);
  bool on_hold() const { return held_; }

  // --- dialplan code acts
  void ring();
  void progress();
  void answer();  // no-op when already up
  void hangup(HangupCause cause);
  void hangup() { hangup(cause_ == HangupCause::Unknown ? HangupCause::Normal : cause_); }
  // Outbound: ask the driver to place the call.
  void call();

  // DTMF digits received and not yet consumed by dialplan code.
  std::string& pending_digits() { return digits_; }
  // The caller's keys are read while the returned handle lives (see DigitListening).
  [[nodiscard]] DigitListening listen_for_digits();
  // Whether the driver has been told to listen (a DigitListening is held, or was this turn).
  bool listening_for_digits() const { return driver_listens_; }

  // --- waiting
  enum class WaitResult { Woken, TimedOut };
  // Suspends until wake() or the timeout (a negative timeout waits without one). Throws
  // ChannelHungUp when the channel is hung up, before or during the wait, unless
  // `even_if_hung_up`. One waiter at a time.
  struct WaitAwaiter {
    Channel& ch;
    std::chrono::milliseconds timeout;
    bool even_if_hung_up;
    bool await_ready() const noexcept { return !even_if_hung_up && ch.hung_up(); }
    void await_suspend(std::coroutine_handle<> h);
    WaitResult await_resume();
  };
  WaitAwaiter wait(std::chrono::milliseconds timeout = std::chrono::milliseconds(-1),
                   bool even_if_hung_up = false) {
    return WaitAwaiter{*this, timeout, even_if_hung_up};
  }
  // Resumes the waiter soon (on a later turn of the loop, never inline).
  void wake();

  // State changes of this channel also call the watcher (nullptr to stop).
  void set_watcher(ChannelWatcher* w) { watcher_ = w; }

  // Keeps `attachment` under `key`, destroying one already there. False (and `attachment`
  // destroyed) when the channel has hung up: there is no call left to attach to.
  bool attach(std::string key, std::unique_ptr<ChannelAttachment> attachment);
  ChannelAttachment* attachment(std::string_view key) const;
  // Destroys the attachment under `key`; false when there is none.
  bool detach(std::string_view key);

  // The dialplan application running on this channel, with its module pinned.
  void set_application(std::string name, ModuleUse use);
  void clear_application();
  const std::string& application() const { return app_name_; }

  ChannelInfo info() const;
  const ModuleUse& technology_use() const { return tech_use_; }
  const ModuleUse& application_use() const { return app_use_; }

  // Use create(); the key keeps the constructor to it.
  Channel(Key, Core& core, Loop& loop, std::string technology, std::string name,
          Direction direction, ModuleUse technology_use);

 private:
  void set_state(ChannelState s);
  void changed();
  void publish(std::string_view event_type);
  void resume_waiter(bool timed_out);
  void destroy_attachments();
  // Tells the core's device states what this channel now says about its device.
  void update_device_state();
  friend class DigitListening;
  void stop_listening_for_digits();  // one DigitListening less

  Core& core_;
  Loop& loop_;
  std::string technology_;
  std::string name_;
  std::string device_;
  DeviceState device_state_;  // what it last told the device states
  std::string unique_id_;
  Direction direction_;
  ModuleUse tech_use_;
  std::unique_ptr<ChannelDriver> driver_;
  ChannelState state_ = ChannelState::Down;
  HangupCause cause_ = HangupCause::Unknown;
  bool remote_hangup_ = false;
  CallerId caller_;
  std::string dialed_;
  std::unordered_map<std::string, std::string> vars_;
  DialplanLocation location_;
  std::string digits_;
  int digit_listeners_ = 0;      // DigitListening handles alive
  bool driver_listens_ = false;  // what the driver was last told
  bool listen_check_posted_ = false;
  bool held_ = false;
  uint64_t created_ms_ = 0;

  std::coroutine_handle<> waiter_;
  bool woken_ = false;
  bool timed_out_ = false;
  bool wake_posted_ = false;
  UvHandle<uv_timer_t> timer_;
  ChannelWatcher* watcher_ = nullptr;

  std::string app_name_;
  ModuleUse app_use_;
  std::vector<std::pair<std::string, std::unique_ptr<ChannelAttachment>>> attachments_;
};

}  // namespace zvon
