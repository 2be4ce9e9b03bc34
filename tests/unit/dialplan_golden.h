// Golden tests of the dialplan language: a dialplan text, a scripted fake channel (caller ID,
// clock, variables) and the sequence of applications it runs, read from the engine's trace
// (every priority with its expanded arguments). Uses the real app modules from build/modules.
#pragma once
#include <catch2/catch.hpp>

#include <algorithm>
#include <chrono>
#include <mutex>
#include <thread>

#include "dialplan/dialplan_engine_impl.h"
#include "test_core.h"
#include "zvon/channel.h"

namespace zvon::golden {

using namespace std::chrono_literals;

inline std::string module_path(std::string_view name) {
  return std::string(ZVON_TEST_MODULES_DIR) + "/../modules/" + std::string(name) + ".so";
}

// Notes what the channel asked of its technology. The channel's loop.
class NoteDriver final : public ChannelDriver {
 public:
  explicit NoteDriver(std::shared_ptr<std::vector<std::string>> notes) : notes_(std::move(notes)) {}
  void call() override { notes_->push_back("call"); }
  void ring() override { notes_->push_back("ring"); }
  void progress() override { notes_->push_back("progress"); }
  void answer() override { notes_->push_back("answer"); }
  void hangup(HangupCause c) override { notes_->push_back("hangup " + std::string(to_string(c))); }
  MediaEndpoint* media() override { return nullptr; }

 private:
  std::shared_ptr<std::vector<std::string>> notes_;
};

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

class Golden {
 public:
  explicit Golden(std::string text) : core(std::move(text)) {
    fake.core = &core.core();
    auto& reg = core->registries();
    auto added = reg.technologies.add("FAKE", fake, reg.core_usage);
    REQUIRE(added);
    fake_registration = std::move(*added);
    for (auto name : {"app_answer", "app_goto", "app_hangup", "app_wait", "app_dial", "app_set",
                      "app_verbose", "app_gotoif", "app_indications"}) {
      auto loaded = core->modules().load(module_path(name));
      if (!loaded) FAIL(loaded.message());
    }
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

  Loop& loop() { return core->loops().worker(0); }
  DialplanEngineImpl& engine() { return dynamic_cast<DialplanEngineImpl&>(core->dialplan()); }

  // Runs a call from `caller` to context/exten to its end; the vars are set before it starts.
  // Returns the channel's variables at the end (read on the loop before it is freed).
  std::unordered_map<std::string, std::string> call(
      std::string context, std::string exten, std::string caller = "101",
      std::vector<std::pair<std::string, std::string>> vars = {}) {
    {
      std::lock_guard lock(mutex);
      steps.clear();
    }
    std::shared_ptr<Channel> ch;
    std::unordered_map<std::string, std::string> at_end;
    std::weak_ptr<Channel> weak;
    loop().run_sync([&] {
      ch = Channel::create(core.core(), loop(), "TEST", caller, Direction::Inbound, {});
      ch->set_driver(std::make_unique<NoteDriver>(notes));
      ch->caller().number = caller;
      for (auto& [k, v] : vars) ch->set_var(k, v);
      weak = ch;
      engine().start(ch, context, exten);
    });
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
  std::vector<std::string> driver() {
    std::vector<std::string> copy;
    loop().run_sync([&] { copy = *notes; notes->clear(); });
    return copy;
  }
  std::string command(const std::string& line, int* status = nullptr) {
    struct Out : CommandOutput {
      std::string text;
      void write(std::string_view t) override { text += t; }
    } out;
    int s = core->execute(line, out);
    if (status) *status = s;
    return out.text;
  }

  test::TestCore core;
  BusyTechnology fake;
  Registration fake_registration;
  Registration subscription;
  std::mutex mutex;
  std::vector<std::string> steps;
  std::shared_ptr<std::vector<std::string>> notes = std::make_shared<std::vector<std::string>>();
  HangupCause cause = HangupCause::Unknown;
};

}  // namespace zvon::golden
