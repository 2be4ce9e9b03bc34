#include <catch2/catch.hpp>

#include <future>
#include <optional>

#include "note_driver.h"
#include "test_core.h"
#include "zvon/channel.h"
#include "zvon/task.h"

using namespace zvon;
using namespace std::chrono_literals;

namespace {

// Runs `body` on the core's first worker and waits for it.
template <class F>
void on_worker(test::TestCore& core, F body) {
  core->loops().worker(0).run_sync(body);
}

}  // namespace

TEST_CASE("channel: wait is woken by a state change and throws on hang-up", "[channel]") {
  test::TestCore core;
  auto driver_log = std::make_shared<std::vector<std::string>>();
  std::vector<std::string> seen;
  std::shared_ptr<Channel> ch;
  Task<> task;
  std::promise<void> finished;

  on_worker(core, [&] {
    ch = Channel::create(core.core(), core->loops().worker(0), "TEST", "alice", Direction::Inbound, {});
    ch->set_driver(std::make_unique<test::NoteDriver>(driver_log));
    CHECK(ch->name().rfind("TEST/alice-", 0) == 0);
    task = [](Channel& c, std::vector<std::string>& seen) -> Task<> {
      c.answer();
      auto r = co_await c.wait(5000ms);
      seen.push_back(r == Channel::WaitResult::Woken ? "woken" : "timeout");
      seen.push_back(c.pending_digits());
      auto t = co_await c.wait(10ms);
      seen.push_back(t == Channel::WaitResult::TimedOut ? "timeout" : "woken");
      try {
        co_await c.wait();
        seen.push_back("not thrown");
      } catch (const ChannelHungUp&) {
        seen.push_back("hung up");
      }
    }(*ch, seen);
    task.start([&](std::exception_ptr) { finished.set_value(); });
  });
  on_worker(core, [&] { ch->on_dtmf('5'); });
  std::this_thread::sleep_for(100ms);
  on_worker(core, [&] { ch->on_hangup(HangupCause::Normal); });
  REQUIRE(finished.get_future().wait_for(5s) == std::future_status::ready);
  on_worker(core, [&] {
    CHECK(ch->hung_up());
    CHECK(ch->hung_up_by_remote());
    CHECK(ch->hangup_cause() == HangupCause::Normal);
    task = {};
    ch.reset();
  });
  CHECK(seen == std::vector<std::string>{"woken", "5", "timeout", "hung up"});
  CHECK(*driver_log == std::vector<std::string>{"answer"});  // a remote hang-up sends nothing
  CHECK(core->channels().count() == 0);
}

TEST_CASE("channel: the driver listens for keys while a reader holds a DigitListening", "[channel]") {
  test::TestCore core;
  auto notes = std::make_shared<std::vector<std::string>>();
  const std::vector<std::string>& driver_log = *notes;
  std::shared_ptr<Channel> ch;
  std::optional<DigitListening> second;
  on_worker(core, [&] {
    ch = Channel::create(core.core(), core->loops().worker(0), "TEST", "alice", Direction::Inbound, {});
    ch->set_driver(std::make_unique<test::NoteDriver>(notes, test::NoteDriver::Listening::Noted));
    CHECK_FALSE(ch->listening_for_digits());
    {
      DigitListening menu = ch->listen_for_digits();
      DigitListening prompt = ch->listen_for_digits();  // nested: told once
      CHECK(ch->listening_for_digits());
    }
    // The next reader of the same turn (the dialplan's next priority) keeps it going.
    second = ch->listen_for_digits();
    CHECK(driver_log == std::vector<std::string>{"listen"});
  });
  on_worker(core, [&] {
    CHECK(driver_log == std::vector<std::string>{"listen"});  // no gap between the two
    second.reset();
  });
  on_worker(core, [] {});  // the turn after the last one went
  on_worker(core, [&] {
    CHECK(driver_log == std::vector<std::string>{"listen", "stop listening"});
    CHECK_FALSE(ch->listening_for_digits());
    // A driver set later (an outgoing leg's) is told what the channel wants.
    auto listening = ch->listen_for_digits();
    ch->set_driver(std::make_unique<test::NoteDriver>(notes, test::NoteDriver::Listening::Noted));
    CHECK(driver_log == std::vector<std::string>{"listen", "stop listening", "listen", "listen"});
    ch.reset();  // the handle outlives the channel harmlessly
  });
}

TEST_CASE("channel: local hangup reaches the driver once, with its cause", "[channel]") {
  test::TestCore core;
  auto driver_log = std::make_shared<std::vector<std::string>>();
  on_worker(core, [&] {
    auto ch = Channel::create(core.core(), core->loops().worker(0), "TEST", "bob", Direction::Outbound, {});
    ch->set_driver(std::make_unique<test::NoteDriver>(driver_log));
    ch->call();
    CHECK(ch->state() == ChannelState::Dialing);
    ch->on_ringing();
    CHECK(ch->state() == ChannelState::Ringing);
    ch->set_hangup_cause(HangupCause::Busy);
    ch->hangup();
    ch->hangup(HangupCause::Normal);
    CHECK(ch->hangup_cause() == HangupCause::Busy);
    CHECK(core->channels().count() == 1);
  });
  CHECK(*driver_log == std::vector<std::string>{"call", "hangup USER_BUSY"});
  CHECK(core->channels().count() == 0);
}

TEST_CASE("channel: core show channels sees live channels on their loops", "[channel]") {
  test::TestCore core(std::string("[default]\n"), 2);
  std::shared_ptr<Channel> a, b;
  core->loops().worker(0).run_sync([&] {
    a = Channel::create(core.core(), core->loops().worker(0), "TEST", "a", Direction::Inbound, {});
    a->caller().number = "101";
  });
  core->loops().worker(1).run_sync([&] {
    b = Channel::create(core.core(), core->loops().worker(1), "TEST", "b", Direction::Inbound, {});
  });
  auto list = core->channels().list();
  REQUIRE(list.size() == 2);
  CHECK(list[0].name.rfind("TEST/a-", 0) == 0);
  CHECK(list[0].caller == "101");
  CHECK(list[0].loop == "worker-0");
  CHECK(list[1].loop == "worker-1");
  core->loops().worker(0).run_sync([&] { a.reset(); });
  core->loops().worker(1).run_sync([&] { b.reset(); });
  CHECK(core->channels().count() == 0);
}
