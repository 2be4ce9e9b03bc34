// Dial(Tech/dest[&Tech/dest2...][,timeout]): rings one or more destinations at once; the first
// to answer is bridged with the caller, the others are hung up. Sets DIALSTATUS (ANSWER, BUSY,
// NOANSWER, CANCEL, CONGESTION, CHANUNAVAIL), DIALEDTIME and ANSWEREDTIME, and on failure the
// caller's hangup cause, so that when the dialplan ends the caller gets 486/480/404/408.
// Runs on the caller's loop; the outgoing legs are made on that same loop, so the bridge
// never crosses threads.
#include <chrono>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "zvon/bridge.h"
#include "zvon/core.h"
#include "zvon/log.h"

namespace zvon {
namespace {

constexpr std::string_view kLog = "app_dial";

// Every change of an outgoing leg wakes the caller's coroutine, which then looks at all legs.
class WakeCaller final : public ChannelWatcher {
 public:
  explicit WakeCaller(Channel& caller) : caller_(caller) {}
  void on_channel_changed(Channel&) override { caller_.wake(); }

 private:
  Channel& caller_;
};

struct Leg {
  std::string destination;              // "SIP/101"
  std::shared_ptr<Channel> channel;     // null when it could not be created
  HangupCause failure = HangupCause::Unknown;  // why it failed, once it has
  bool finished = false;
  bool unavailable = false;  // it could not even be made (unknown, not registered)
};

// The outgoing legs. Leaving Dial in any way (the caller hung up and ChannelHungUp unwinds us,
// a timeout, an answer elsewhere) hangs up every leg still up: a CANCEL or a BYE on the wire.
class Legs {
 public:
  explicit Legs(Channel& caller) : watcher_(caller) {}
  ~Legs() {
    for (Leg& leg : legs) {
      if (!leg.channel) continue;
      leg.channel->set_watcher(nullptr);
      if (!leg.channel->hung_up()) leg.channel->hangup(release_cause);
    }
  }
  Legs(const Legs&) = delete;
  Legs& operator=(const Legs&) = delete;

  void watch(Leg& leg) { leg.channel->set_watcher(&watcher_); }

  std::vector<Leg> legs;
  HangupCause release_cause = HangupCause::OriginatorCancel;

 private:
  WakeCaller watcher_;
};

// The DIALSTATUS a failed leg stands for, and how bad it is: with several legs the caller hears
// the most telling one (one busy phone says more than one that is offline).
struct Outcome {
  std::string_view status;
  int rank;
};

Outcome outcome_of(const Leg& leg) {
  if (leg.unavailable) return {"CHANUNAVAIL", 1};
  switch (leg.failure) {
    case HangupCause::Busy: return {"BUSY", 6};
    case HangupCause::NoAnswer: return {"NOANSWER", 5};
    case HangupCause::NoUserResponse: return {"NOANSWER", 4};
    case HangupCause::Congestion: return {"CONGESTION", 3};
    case HangupCause::Unallocated: return {"CHANUNAVAIL", 2};
    default: return {"CHANUNAVAIL", 0};
  }
}

// DialBegin / DialEnd on the event bus: they link the outgoing legs to the caller's call
// (the CDR writer's linked id) and say how the dial ended.
void publish_dial(Channel& caller, std::string type, const Channel* peer, std::string_view extra_key,
                  std::string_view extra_value) {
  Event e;
  e.type = std::move(type);
  e.add("channel", caller.name()).add("uniqueid", caller.unique_id());
  if (peer) e.add("peer_channel", peer->name()).add("peer_uniqueid", peer->unique_id());
  if (!extra_key.empty()) e.add(std::string(extra_key), std::string(extra_value));
  caller.core().events().publish(std::move(e));
}

class Dial final : public Application {
 public:
  explicit Dial(Core& core) : core_(core) {}
  std::string_view name() const override { return "Dial"; }
  std::string_view synopsis() const override {
    return "Calls one or more destinations and bridges the first to answer";
  }
  std::string_view usage() const override { return "Dial(Tech/dest[&Tech/dest2...][,timeout seconds])"; }

  Task<AppResult> exec(Channel& caller, const AppArgs& args) override {
    const uint64_t started = caller.loop().now_ms();
    uint64_t answered = 0;
    auto set_times = [&] {
      uint64_t now = caller.loop().now_ms();
      caller.set_var("DIALEDTIME", std::to_string((now - started) / 1000));
      caller.set_var("ANSWEREDTIME", std::to_string(answered ? (now - answered) / 1000 : 0));
      publish_dial(caller, "DialEnd", nullptr, "dialstatus", caller.var("DIALSTATUS").value_or(""));
    };
    caller.set_var("DIALSTATUS", "");

    if (args.empty() || args[0].empty()) {
      log(LogLevel::Error, kLog, caller.name(), ": Dial needs a destination: ", usage());
      caller.set_var("DIALSTATUS", "CHANUNAVAIL");
      set_times();
      co_return AppResult::Continue;
    }
    std::optional<uint64_t> timeout_ms;
    if (args.size() > 1 && !args[1].empty()) {
      char* end = nullptr;
      double seconds = std::strtod(args[1].c_str(), &end);
      if (*end != '\0' || !(seconds > 0) || seconds > 86400)
        log(LogLevel::Warning, kLog, caller.name(), ": Dial timeout '", args[1],
            "' is not a number of seconds; ringing without a timeout");
      else
        timeout_ms = uint64_t(seconds * 1000.0 + 0.5);
    }
    if (args.size() > 2 && !args[2].empty())
      log(LogLevel::Notice, kLog, caller.name(), ": Dial options '", args[2], "' are not supported yet; ignored");

    Legs legs(caller);
    request_legs(caller, args[0], legs);

    try {
      Channel* winner = nullptr;
      bool told_ringing = false;
      for (auto& leg : legs.legs)
        if (leg.channel) leg.channel->call();
      for (;;) {
        bool all_finished = true;
        bool ringing = false;
        for (auto& leg : legs.legs) {
          if (leg.finished) continue;
          Channel& out = *leg.channel;
          if (out.state() == ChannelState::Up) {
            winner = &out;
            break;
          }
          if (out.hung_up()) {
            leg.finished = true;
            leg.failure = out.hangup_cause();
            log(LogLevel::Verbose, kLog, caller.name(), ": ", out.name(), " failed: ",
                to_string(leg.failure));
            continue;
          }
          all_finished = false;
          if (out.state() == ChannelState::Ringing || out.state() == ChannelState::Progress)
            ringing = true;
        }
        if (winner || all_finished) break;
        if (ringing && !told_ringing) {
          caller.ring();
          told_ringing = true;
        }
        std::chrono::milliseconds wait(-1);
        if (timeout_ms) {
          uint64_t now = caller.loop().now_ms();
          if (now >= started + *timeout_ms) break;
          wait = std::chrono::milliseconds(started + *timeout_ms - now);
        }
        co_await caller.wait(wait);
      }

      if (!winner) {
        bool timed_out = false;
        for (auto& leg : legs.legs)
          if (!leg.finished) timed_out = true;
        if (timed_out) {
          legs.release_cause = HangupCause::NoAnswer;
          caller.set_var("DIALSTATUS", "NOANSWER");
          caller.set_hangup_cause(HangupCause::NoAnswer);
          log(LogLevel::Verbose, kLog, caller.name(), ": nobody answered in time");
        } else {
          const Leg* worst = nullptr;
          for (auto& leg : legs.legs)
            if (!worst || outcome_of(leg).rank > outcome_of(*worst).rank) worst = &leg;
          HangupCause cause = worst ? worst->failure : HangupCause::Failure;
          caller.set_var("DIALSTATUS", worst ? outcome_of(*worst).status : "CHANUNAVAIL");
          caller.set_hangup_cause(cause == HangupCause::Unknown ? HangupCause::Failure : cause);
          log(LogLevel::Verbose, kLog, caller.name(), ": dial failed: ",
              caller.var("DIALSTATUS").value_or(""), " (", to_string(cause), ")");
        }
        set_times();
        co_return AppResult::Continue;
      }

      // Answered: the others stop ringing, the caller is answered and joined with the winner.
      answered = caller.loop().now_ms();
      for (auto& leg : legs.legs)
        if (leg.channel && leg.channel.get() != winner && !leg.channel->hung_up())
          leg.channel->hangup(HangupCause::Normal);
      caller.set_var("DIALSTATUS", "ANSWER");
      publish_dial(caller, "DialAnswer", winner, "", "");
      legs.release_cause = HangupCause::Normal;
      caller.answer();
      log(LogLevel::Verbose, kLog, caller.name(), ": ", winner->name(), " answered");
      {
        Bridge bridge(caller, *winner);
        while (!winner->hung_up()) {
          co_await caller.wait();
          bridge.refresh();  // a re-INVITE may have replaced either side's media
        }
      }
      // The called side hung up: so does the caller.
      set_times();
      caller.hangup(HangupCause::Normal);
      co_return AppResult::Stop;
    } catch (const ChannelHungUp&) {
      if (caller.var("DIALSTATUS").value_or("").empty()) caller.set_var("DIALSTATUS", "CANCEL");
      set_times();
      throw;  // `legs` hangs up what is left on the way out
    }
  }

 private:
  // Makes one channel per "Tech/dest" in `list` ("SIP/101&SIP/102"); the ones that cannot be
  // made fail at once with the technology's reason.
  void request_legs(Channel& caller, const std::string& list, Legs& legs) {
    for (const std::string& dest : split_list(list)) {
      Leg leg;
      leg.destination = dest;
      leg.finished = true;
      leg.unavailable = true;
      // The phone is offline or unknown: 480 Temporarily Unavailable is SIP's answer for a
      // user who is not logged in, unless another leg says more.
      leg.failure = HangupCause::NoAnswer;
      size_t slash = dest.find('/');
      if (slash == std::string::npos || slash == 0 || slash + 1 == dest.size()) {
        log(LogLevel::Warning, kLog, caller.name(), ": Dial destination '", dest,
            "' must be written Tech/destination, like SIP/101");
        leg.failure = HangupCause::Failure;
      } else if (auto tech = core_.find_technology(dest.substr(0, slash)); !tech) {
        log(LogLevel::Warning, kLog, caller.name(), ": no channel technology '",
            dest.substr(0, slash), "' for ", dest, " (is its module loaded?)");
        leg.failure = HangupCause::Failure;
      } else if (auto out = tech->request(caller.loop(), dest.substr(slash + 1), &caller); !out) {
        log(LogLevel::Notice, kLog, caller.name(), ": cannot call ", dest, ": ", out.message());
      } else {
        leg.channel = std::move(*out);
        // Inheritance: Set(_NAME=...) reaches the dialed channel as NAME (one level),
        // Set(__NAME=...) as __NAME (and so on to the channels it dials).
        for (auto& [name, value] : caller.vars()) {
          if (name.starts_with("__"))
            leg.channel->set_var(name, value);
          else if (name.starts_with("_"))
            leg.channel->set_var(name.substr(1), value);
        }
        leg.finished = false;
        leg.unavailable = false;
        leg.failure = HangupCause::Unknown;
      }
      legs.legs.push_back(std::move(leg));
      if (legs.legs.back().channel) {
        legs.watch(legs.legs.back());
        publish_dial(caller, "DialBegin", legs.legs.back().channel.get(), "destination", dest);
      }
    }
  }

  Core& core_;
};

class DialModule final : public Module {
 public:
  explicit DialModule(Core& core) : app(core) {}
  Dial app;
  Registration registration;
};

Result<std::unique_ptr<Module>> load(ModuleContext& ctx) {
  auto m = std::make_unique<DialModule>(ctx.core());
  auto r = ctx.add_application(m->app);
  if (!r) return r.error();
  m->registration = std::move(*r);
  return std::unique_ptr<Module>(std::move(m));
}

}  // namespace
}  // namespace zvon

ZVON_MODULE("app_dial", "Dial(): calls out and bridges the call", "", zvon::load)
