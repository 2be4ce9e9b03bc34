// A core running a dialplan, for the unit tests of the dialplan and of dialplan applications:
// the real application modules a test names (from build/modules), the test application Note,
// and channels made as a technology would make them, whose driver notes what it was asked.
#pragma once
#include <catch2/catch.hpp>

#include <chrono>
#include <functional>
#include <initializer_list>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "dialplan/dialplan_engine_impl.h"
#include "note_driver.h"
#include "test_core.h"
#include "zvon/channel.h"

namespace zvon::test {

// Note(a,b,...) writes down "a|b|..." per call: the arguments as the engine expanded and split
// them. Any thread may read them.
class NoteApp final : public Application {
 public:
  std::string_view name() const override { return "Note"; }
  std::string_view synopsis() const override { return "test: notes its arguments"; }
  Task<AppResult> exec(Channel&, const AppArgs& args) override {
    std::string line;
    for (size_t i = 0; i < args.size(); ++i) line += (i ? "|" : "") + args[i];
    std::lock_guard lock(mutex_);
    lines_.push_back(line);
    co_return AppResult::Continue;
  }
  std::vector<std::string> lines() {
    std::lock_guard lock(mutex_);
    return lines_;
  }

 private:
  std::mutex mutex_;
  std::vector<std::string> lines_;
};

// A core with the dialplan `text`, Note registered and the named modules loaded.
class DialplanFixture {
 public:
  DialplanFixture(std::string text, std::initializer_list<std::string_view> modules)
      : core(std::move(text)) {
    auto& reg = core->registries();
    auto r = reg.applications.add("Note", note, reg.core_usage);
    REQUIRE(r);
    note_registration = std::move(*r);
    for (auto name : modules) {
      auto loaded = core->modules().load(module_path(name));
      if (!loaded) FAIL(loaded.message());
    }
  }
  ~DialplanFixture() { note_registration.release(); }

  Loop& loop() { return core->loops().worker(0); }
  DialplanEngineImpl& engine() { return dynamic_cast<DialplanEngineImpl&>(core->dialplan()); }

  // An inbound channel from `peer` (caller ID 101, "Alice") on the worker, as a technology
  // would make it; `setup` runs on the loop before the dialplan sees it.
  std::shared_ptr<Channel> make_channel(std::string peer = "alice",
                                        std::function<void(Channel&)> setup = nullptr) {
    std::shared_ptr<Channel> ch;
    loop().run_sync([&] {
      ch = Channel::create(core.core(), loop(), "TEST", peer, Direction::Inbound, {});
      ch->set_driver(std::make_unique<NoteDriver>(driver_notes));
      ch->caller().number = "101";
      ch->caller().name = "Alice";
      if (setup) setup(*ch);
    });
    return ch;
  }

  void start(const std::shared_ptr<Channel>& ch, std::string context, std::string exten) {
    loop().run_sync([&] { engine().start(ch, context, exten); });
  }

  // Lets go of `ch` and waits (bounded) until the engine has too; false on timeout.
  bool wait_finished(std::shared_ptr<Channel>& ch, std::chrono::milliseconds limit = std::chrono::seconds(5)) {
    std::weak_ptr<Channel> weak = ch;
    loop().run_sync([&] { ch.reset(); });
    auto deadline = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < deadline) {
      bool gone = false;
      loop().run_sync([&] { gone = weak.expired(); });
      if (gone) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    return false;
  }

  template <class F>
  void on_loop(F f) {
    loop().run_sync(f);
  }

  // What the channels' drivers were asked so far.
  std::vector<std::string> driver() {
    std::vector<std::string> copy;
    loop().run_sync([&] { copy = *driver_notes; });
    return copy;
  }

  // Runs a console command; the test thread stands in for the core loop.
  std::string command(const std::string& line, int* status = nullptr) {
    struct Out : CommandOutput {
      std::string text;
      void write(std::string_view t) override { text += t; }
    } out;
    int s = core->execute(line, out);
    if (status) *status = s;
    return out.text;
  }

  TestCore core;
  NoteApp note;
  Registration note_registration;
  std::shared_ptr<std::vector<std::string>> driver_notes = std::make_shared<std::vector<std::string>>();
};

}  // namespace zvon::test
