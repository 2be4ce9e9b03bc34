// Golden tests of the dialplan language: a dialplan text, a scripted fake channel (caller ID,
// clock, variables) and the sequence of applications it runs, read from the engine's trace
// (every priority with its expanded arguments). Uses the real app modules from build/modules.
#pragma once
#include <catch2/catch.hpp>

#include <algorithm>
#include <chrono>
#include <mutex>
#include <thread>

#include "dialplan_fixture.h"

namespace zvon::golden {

using namespace std::chrono_literals;

// FAKE/<anything>: an outgoing leg that answers busy at once; it notes the variables it was
// given (inheritance from the caller). The loop's thread.
class BusyTechnology final : public ChannelTechnology {
 public:
  struct BusyDriver final : ChannelDriver {
    Channel* self = nullptr;
    std::vector<std::string>* inherited = nullptr;
    void call() override {
      // The variables it was given, sorted: what Dial passed on from the caller.
      std::vector<std::string> vars;
      for (auto& [k, v] : self->vars()) vars.push_back(k + "=" + v);
      std::sort(vars.begin(), vars.end());
      std::string line;
      for (auto& v : vars) line += (line.empty() ? "" : " ") + v;
      inherited->push_back(line);
      self->on_hangup(HangupCause::Busy);
    }
    void ring() override {}
    void progress() override {}
    void answer() override {}
    void hangup(HangupCause) override {}
    MediaEndpoint* media() override { return nullptr; }
  };
  std::string_view name() const override { return "FAKE"; }
  std::string_view description() const override { return "test: busy at once"; }
  Result<std::shared_ptr<Channel>> request(Loop& loop, std::string_view destination, Channel*) override {
    auto ch = Channel::create(*core, loop, "FAKE", destination, Direction::Outbound, {});
    auto driver = std::make_unique<BusyDriver>();
    driver->self = ch.get();
    driver->inherited = &inherited;
    ch->set_driver(std::move(driver));
    return ch;
  }
  Core* core = nullptr;
  std::vector<std::string> inherited;  // per leg, written on the loop
};

class Golden : public test::DialplanFixture {
 public:
  explicit Golden(std::string text)
      : DialplanFixture(std::move(text), {"app_answer", "app_goto", "app_hangup", "app_wait", "app_dial",
                                          "app_set", "app_verbose", "app_gotoif", "app_indications"}) {
    fake.core = &core.core();
    auto& reg = core->registries();
    auto added = reg.technologies.add("FAKE", fake, reg.core_usage);
    REQUIRE(added);
    fake_registration = std::move(*added);
    subscription = core->events().subscribe([this](const Event& e) {
      if (e.type != "DialplanTrace") return;
      std::string app, args;
      for (auto& [k, v] : e.fields) {
        if (k == "application") app = v;
        if (k == "arguments") args = v;
      }
      std::lock_guard lock(mutex);
      steps.push_back(app + "(" + args + ")");
    });
    engine().set_trace("all", true);
  }
  ~Golden() {
    subscription.release();
    fake_registration.release();
  }

  // Runs a call from `caller` to context/exten to its end; the vars are set before it starts.
  // Returns the channel's variables at the end (read on the loop before it is freed).
  std::unordered_map<std::string, std::string> call(
      std::string context, std::string exten, std::string caller = "101",
      std::vector<std::pair<std::string, std::string>> vars = {}) {
    {
      std::lock_guard lock(mutex);
      steps.clear();
    }
    std::unordered_map<std::string, std::string> at_end;
    auto ch = make_channel(caller, [&](Channel& c) {
      c.caller().number = caller;
      for (auto& [k, v] : vars) c.set_var(k, v);
    });
    start(ch, context, exten);
    auto deadline = std::chrono::steady_clock::now() + 5s;
    for (;;) {
      bool running = true;
      loop().run_sync([&] {
        running = engine().state(*ch) != nullptr;
        if (!running) at_end = ch->vars();
      });
      if (!running) break;
      if (std::chrono::steady_clock::now() > deadline) FAIL("the dialplan did not finish in 5 s");
      std::this_thread::sleep_for(2ms);
    }
    loop().run_sync([&] {
      cause = ch->hangup_cause();
      ch.reset();
    });
    return at_end;
  }

  std::vector<std::string> trace() {
    std::lock_guard lock(mutex);
    return steps;
  }

  BusyTechnology fake;
  Registration fake_registration;
  Registration subscription;
  std::mutex mutex;
  std::vector<std::string> steps;
  HangupCause cause = HangupCause::Unknown;
};

}  // namespace zvon::golden
