// Dial on a real core with a scripted channel technology ("FAKE"): the destination names what
// the far end does (answers, rings forever, is busy, is unknown...). Checks DIALSTATUS, the
// caller's hangup cause and what every leg was told.
#include <catch2/catch.hpp>

#include <chrono>
#include <map>
#include <mutex>
#include <thread>

#include "dialplan/dialplan_engine_impl.h"
#include "test_core.h"
#include "zvon/channel.h"
#include "zvon/technology.h"

using namespace zvon;
using namespace std::chrono_literals;

namespace {

// Channel drivers write what they were asked into one shared log, prefixed with their name.
struct DriverLog {
  std::mutex mutex;
  std::vector<std::string> lines;
  void add(std::string line) {
    std::lock_guard lock(mutex);
    lines.push_back(std::move(line));
  }
  std::vector<std::string> get() {
    std::lock_guard lock(mutex);
    return lines;
  }
};

class ScriptedDriver final : public ChannelDriver {
 public:
  ScriptedDriver(DriverLog& log, std::string who, std::weak_ptr<Channel> self, std::string script)
      : log_(log), who_(std::move(who)), self_(std::move(self)), script_(std::move(script)) {}

  void call() override {
    log_.add(who_ + " call");
    // The far end answers through the loop, later, as a network would.
    auto later = [this](std::function<void(Channel&)> fn) {
      auto weak = self_;
      if (auto ch = weak.lock())
        ch->loop().post([weak, fn] {
          if (auto c = weak.lock()) fn(*c);
        });
    };
    if (script_ == "answer" || script_ == "answer-then-bye") {
      later([later, this](Channel& c) {
        c.on_ringing();
        later([later, this](Channel& c2) {
          c2.on_answered();
          if (script_ == "answer-then-bye") later([](Channel& c3) { c3.on_hangup(HangupCause::Normal); });
        });
      });
    } else if (script_ == "ring") {
      later([](Channel& c) { c.on_ringing(); });
    } else if (script_ == "busy") {
      later([](Channel& c) { c.on_hangup(HangupCause::Busy); });
    } else if (script_ == "404") {
      later([](Channel& c) { c.on_hangup(HangupCause::Unallocated); });
    } else if (script_ == "408") {
      later([](Channel& c) { c.on_ringing(); });
      later([](Channel& c) { c.on_hangup(HangupCause::NoUserResponse); });
    }
  }
  void ring() override { log_.add(who_ + " ring"); }
  void progress() override { log_.add(who_ + " progress"); }
  void answer() override { log_.add(who_ + " answer"); }
  void hangup(HangupCause c) override { log_.add(who_ + " hangup " + std::string(to_string(c))); }
  MediaEndpoint* media() override { return nullptr; }

 private:
  DriverLog& log_;
  std::string who_;
  std::weak_ptr<Channel> self_;
  std::string script_;
};

class FakeTechnology final : public ChannelTechnology {
 public:
  FakeTechnology(Core& core, DriverLog& log) : core_(core), log_(log) {}
  std::string_view name() const override { return "FAKE"; }
  std::string_view description() const override { return "scripted test channels"; }
  Result<std::shared_ptr<Channel>> request(Loop& loop, std::string_view destination,
                                           Channel* requester) override {
    if (destination == "offline") return make_error("FAKE/offline is not registered");
    auto ch = Channel::create(core_, loop, "FAKE", destination, Direction::Outbound, {});
    ch->set_driver(std::make_unique<ScriptedDriver>(log_, std::string(destination), ch,
                                                    std::string(destination)));
    if (requester) ch->caller() = requester->caller();
    made.push_back(ch);
    return ch;
  }
  std::vector<std::weak_ptr<Channel>> made;  // the worker loop only

 private:
  Core& core_;
  DriverLog& log_;
};

struct DialFixture {
  explicit DialFixture(std::string dialplan) : core(std::move(dialplan)), tech(core.core(), log) {
    auto& reg = core->registries();
    auto r = reg.technologies.add("FAKE", tech, reg.core_usage);
    REQUIRE(r);
    tech_registration = std::move(*r);
    for (auto name : {"app_dial", "app_hangup"}) {
      auto loaded = core->modules().load(test::module_path(name));
      if (!loaded) FAIL(loaded.message());
    }
    events = core->events().subscribe([this](const Event& e) {
      if (e.type != "BridgeEnter" && e.type != "BridgeLeave") return;
      std::lock_guard lock(event_mutex);
      bridge_events.push_back(e.type);
    });
  }

  Loop& loop() { return core->loops().worker(0); }

  // Runs `exten` in [test] for a caller "caller" and returns the caller channel once the
  // dialplan has ended (or `hang_up_after` passed, when the caller hangs up first).
  std::shared_ptr<Channel> run(std::string exten, std::optional<std::chrono::milliseconds> hang_up_after = {}) {
    std::shared_ptr<Channel> caller;
    loop().run_sync([&] {
      caller = Channel::create(core.core(), loop(), "TEST", "caller", Direction::Inbound, {});
      caller->set_driver(std::make_unique<ScriptedDriver>(log, "caller", caller, "inbound"));
      caller->caller().number = "101";
      core->dialplan().start(caller, "test", exten);
    });
    if (hang_up_after) {
      std::this_thread::sleep_for(*hang_up_after);
      loop().run_sync([&] { caller->on_hangup(HangupCause::Normal); });
    }
    auto& engine = dynamic_cast<DialplanEngineImpl&>(core->dialplan());
    auto deadline = std::chrono::steady_clock::now() + 5s;
    while (engine.running() > 0 && std::chrono::steady_clock::now() < deadline)
      std::this_thread::sleep_for(5ms);
    CHECK(engine.running() == 0);
    return caller;
  }

  std::string var(const std::shared_ptr<Channel>& ch, std::string_view name) {
    std::string v;
    loop().run_sync([&] { v = std::string(ch->var(name).value_or("<unset>")); });
    return v;
  }
  HangupCause cause(const std::shared_ptr<Channel>& ch) {
    HangupCause c{};
    loop().run_sync([&] { c = ch->hangup_cause(); });
    return c;
  }
  // Outgoing channels still alive (nobody should hold them once Dial is over).
  size_t legs_alive() {
    size_t n = 0;
    loop().run_sync([&] {
      for (auto& w : tech.made) n += !w.expired();
    });
    return n;
  }
  std::vector<std::string> bridges() {
    std::lock_guard lock(event_mutex);
    return bridge_events;
  }

  DriverLog log;
  test::TestCore core;
  FakeTechnology tech;
  Registration tech_registration;
  Registration events;
  std::mutex event_mutex;
  std::vector<std::string> bridge_events;
};

const char* kDialplan =
    "[test]\n"
    "exten => answer,1,Dial(FAKE/answer-then-bye,10)\n"
    "exten => busy,1,Dial(FAKE/busy)\n"
    " same => n,Hangup()\n"
    "exten => noanswer,1,Dial(FAKE/ring,0.2)\n"
    "exten => offline,1,Dial(FAKE/offline)\n"
    "exten => unknown,1,Dial(FAKE/404)\n"
    "exten => timeout,1,Dial(FAKE/408)\n"
    "exten => both,1,Dial(FAKE/ring&FAKE/answer-then-bye,10)\n"
    "exten => mixed,1,Dial(FAKE/offline&FAKE/busy&FAKE/404)\n"
    "exten => notech,1,Dial(NOPE/1&bad)\n"
    "exten => cancel,1,Dial(FAKE/ring)\n";

}  // namespace

TEST_CASE("Dial: the answered leg is bridged until it hangs up, then the caller is hung up", "[dial]") {
  DialFixture f(kDialplan);
  auto caller = f.run("answer");
  CHECK(f.var(caller, "DIALSTATUS") == "ANSWER");
  CHECK(f.var(caller, "DIALEDTIME") == "0");
  CHECK(f.var(caller, "ANSWEREDTIME") == "0");
  CHECK(f.log.get() == std::vector<std::string>{
      "answer-then-bye call", "caller ring", "caller answer", "caller hangup NORMAL_CLEARING"});
  CHECK(f.bridges() == std::vector<std::string>{"BridgeEnter", "BridgeLeave"});
  CHECK(f.legs_alive() == 0);
}

TEST_CASE("Dial: busy gives BUSY and the caller's cause Busy (486)", "[dial]") {
  DialFixture f(kDialplan);
  auto caller = f.run("busy");
  CHECK(f.var(caller, "DIALSTATUS") == "BUSY");
  CHECK(f.cause(caller) == HangupCause::Busy);
  CHECK(f.log.get() == std::vector<std::string>{"busy call", "caller hangup USER_BUSY"});
  CHECK(f.legs_alive() == 0);
}

TEST_CASE("Dial: a timeout cancels the legs, NOANSWER, cause NoAnswer (480)", "[dial]") {
  DialFixture f(kDialplan);
  auto t0 = std::chrono::steady_clock::now();
  auto caller = f.run("noanswer");
  CHECK(std::chrono::steady_clock::now() - t0 >= 190ms);
  CHECK(f.var(caller, "DIALSTATUS") == "NOANSWER");
  CHECK(f.cause(caller) == HangupCause::NoAnswer);
  CHECK(f.log.get() == std::vector<std::string>{
      "ring call", "caller ring", "ring hangup NO_ANSWER", "caller hangup NO_ANSWER"});
  CHECK(f.legs_alive() == 0);
}

TEST_CASE("Dial: unavailable, unknown (404) and timed-out (408) destinations", "[dial]") {
  DialFixture f(kDialplan);
  auto offline = f.run("offline");
  CHECK(f.var(offline, "DIALSTATUS") == "CHANUNAVAIL");
  CHECK(f.cause(offline) == HangupCause::NoAnswer);

  auto unknown = f.run("unknown");
  CHECK(f.var(unknown, "DIALSTATUS") == "CHANUNAVAIL");
  CHECK(f.cause(unknown) == HangupCause::Unallocated);

  auto timeout = f.run("timeout");
  CHECK(f.var(timeout, "DIALSTATUS") == "NOANSWER");
  CHECK(f.cause(timeout) == HangupCause::NoUserResponse);

  // Several failures: the most telling one wins (busy over not found over offline).
  auto mixed = f.run("mixed");
  CHECK(f.var(mixed, "DIALSTATUS") == "BUSY");
  CHECK(f.cause(mixed) == HangupCause::Busy);

  auto notech = f.run("notech");
  CHECK(f.var(notech, "DIALSTATUS") == "CHANUNAVAIL");
  CHECK(f.cause(notech) == HangupCause::Failure);
  CHECK(f.legs_alive() == 0);
}

TEST_CASE("Dial: two destinations ring together; the first to answer wins", "[dial]") {
  DialFixture f(kDialplan);
  auto caller = f.run("both");
  CHECK(f.var(caller, "DIALSTATUS") == "ANSWER");
  CHECK(f.log.get() == std::vector<std::string>{
      "ring call", "answer-then-bye call", "caller ring", "ring hangup NORMAL_CLEARING",
      "caller answer", "caller hangup NORMAL_CLEARING"});
  CHECK(f.legs_alive() == 0);
}

TEST_CASE("Dial: the caller hanging up while it rings cancels the legs", "[dial]") {
  DialFixture f(kDialplan);
  auto caller = f.run("cancel", 100ms);
  CHECK(f.var(caller, "DIALSTATUS") == "CANCEL");
  CHECK(f.log.get() == std::vector<std::string>{"ring call", "caller ring", "ring hangup ORIGINATOR_CANCEL"});
  CHECK(f.legs_alive() == 0);
}
