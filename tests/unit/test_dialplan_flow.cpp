// The dialplan runtime on a real core: priorities, labels, same =>, Goto, variables, Hangup,
// Wait, unknown extensions and applications, reload while a call runs. The applications are
// the real modules from build/modules; Note is a test application that writes down its
// (expanded, split) arguments.
#include <catch2/catch.hpp>

#include <chrono>
#include <fstream>
#include <thread>

#include "dialplan/app_arguments.h"
#include "dialplan/dialplan_engine_impl.h"
#include "dialplan_fixture.h"

using namespace zvon;
using namespace std::chrono_literals;

namespace {

// The shared fixture (dialplan_fixture.h) with the apps modules these tests run.
struct DialplanFixture : test::DialplanFixture {
  explicit DialplanFixture(std::string text)
      : test::DialplanFixture(std::move(text), {"app_answer", "app_goto", "app_hangup", "app_wait", "app_dial"}) {}
};

}  // namespace

TEST_CASE("dialplan flow: n, labels, same =>, Goto, variables, patterns", "[dialplan][flow]") {
  DialplanFixture f(
      "[globals]\n"
      "GREETING=hello\n"
      "[test]\n"
      "exten => 100,1,Note(start,${EXTEN},${CONTEXT},${PRIORITY})\n"
      " same => n(middle),Note(${GREETING},${CALLERID(num)},\"${CALLERID(name)}\")\n"
      " same => n,Goto(200,target)\n"
      " same => n,Note(never)\n"
      "exten => 200,1,Note(not here)\n"
      "exten => 200,5(target),Note(at,${EXTEN},${PRIORITY})\n"
      " same => n,Goto(other,555,1)\n"
      "[other]\n"
      "exten => _5XX,1,Note(pattern,${EXTEN},${EXTEN:1},${EXTEN:-2:1},${CHANNEL})\n"
      " same => n,Goto(end)\n"
      " same => n,Note(skipped)\n"
      " same => n(end),Note(end)\n"
      " same => 10,Note(after a gap: never)\n");
  auto ch = f.make_channel();
  std::string name = ch->name();
  f.start(ch, "test", "100");
  REQUIRE(f.wait_finished(ch));
  CHECK(f.note.lines() == std::vector<std::string>{
      "start|100|test|1",
      "hello|101|Alice",
      "at|200|5",
      "pattern|555|55|5|" + name,
      "end",
  });
  CHECK(f.driver() == std::vector<std::string>{"hangup NORMAL_CLEARING"});
  CHECK(f.engine().running() == 0);
}

TEST_CASE("dialplan flow: an unknown extension is hung up as unallocated", "[dialplan][flow]") {
  DialplanFixture f("[test]\nexten => 100,1,Note(x)\n");
  auto ch = f.make_channel();
  f.start(ch, "test", "999");
  f.on_loop([&] {
    CHECK(ch->hung_up());
    CHECK(ch->hangup_cause() == HangupCause::Unallocated);
  });
  f.start(ch, "nocontext", "100");  // already hung up: nothing more is sent
  REQUIRE(f.wait_finished(ch));
  CHECK(f.driver() == std::vector<std::string>{"hangup UNALLOCATED"});
  CHECK(f.note.lines().empty());
}

TEST_CASE("dialplan flow: an unknown application hangs up after what ran before", "[dialplan][flow]") {
  DialplanFixture f("[test]\nexten => 100,1,Note(one)\n same => n,NoSuchApp(x)\n same => n,Note(two)\n");
  auto ch = f.make_channel();
  f.start(ch, "test", "100");
  REQUIRE(f.wait_finished(ch));
  CHECK(f.note.lines() == std::vector<std::string>{"one"});
  CHECK(f.driver() == std::vector<std::string>{"hangup FAILURE"});
}

TEST_CASE("dialplan flow: Answer, Wait, Hangup with a cause", "[dialplan][flow]") {
  DialplanFixture f(
      "[test]\n"
      "exten => 100,1,Answer()\n"
      " same => n,Wait(0.2)\n"
      " same => n,Note(waited)\n"
      " same => n,Hangup(17)\n"
      " same => n,Note(never)\n");
  auto ch = f.make_channel();
  std::weak_ptr<Channel> weak = ch;
  auto t0 = std::chrono::steady_clock::now();
  f.start(ch, "test", "100");
  // The Wait is under way: the app pins its module and shows in the channel.
  f.on_loop([&] {
    CHECK(ch->application() == "Wait");
    CHECK(ch->application_use().module_name() == "app_wait");
    CHECK(ch->state() == ChannelState::Up);
    CHECK(ch->location().priority == 2);
  });
  REQUIRE(f.wait_finished(ch));
  CHECK(std::chrono::steady_clock::now() - t0 >= 190ms);
  CHECK(f.note.lines() == std::vector<std::string>{"waited"});
  CHECK(f.driver() == std::vector<std::string>{"answer", "hangup USER_BUSY"});
}

TEST_CASE("dialplan flow: the caller hanging up ends the run at once", "[dialplan][flow]") {
  DialplanFixture f("[test]\nexten => 100,1,Wait(10)\n same => n,Note(never)\n");
  auto ch = f.make_channel();
  auto t0 = std::chrono::steady_clock::now();
  f.start(ch, "test", "100");
  f.on_loop([&] { ch->on_hangup(HangupCause::Normal); });
  REQUIRE(f.wait_finished(ch, 2s));
  CHECK(std::chrono::steady_clock::now() - t0 < 2s);
  CHECK(f.note.lines().empty());
  CHECK(f.driver().empty());  // a remote hang-up sends nothing back
  CHECK(f.engine().running() == 0);
}

TEST_CASE("dialplan flow: a loop without waits does not block its loop; hang-up ends it", "[dialplan][flow]") {
  DialplanFixture f("[test]\nexten => 100,1,Goto(1)\n");
  auto ch = f.make_channel();
  f.start(ch, "test", "100");
  // These run on the same loop as the endless Goto: they are served between its turns.
  int location = 0;
  f.on_loop([&] { location = ch->location().priority; });
  CHECK(location == 1);
  f.on_loop([&] { ch->on_hangup(HangupCause::Normal); });
  REQUIRE(f.wait_finished(ch, 2s));
  CHECK(f.engine().running() == 0);
}

TEST_CASE("dialplan reload: running calls keep their dialplan; errors keep the old one", "[dialplan][flow]") {
  DialplanFixture f("[test]\nexten => 100,1,Wait(0.3)\n same => n,Note(v1)\n");
  auto first = f.make_channel("first");
  f.start(first, "test", "100");

  std::ofstream(f.core.dir() / "dialplan" / "extensions.conf")
      << "[test]\nexten => 100,1,Wait(0)\n same => n,Note(v2)\n[more]\nexten => 1,1,Note(x)\n";
  int status = -1;
  auto out = f.command("dialplan reload", &status);
  CHECK(status == 0);
  CHECK(out == "Dialplan reloaded: 2 contexts, 2 extensions\n");

  auto second = f.make_channel("second");
  f.start(second, "test", "100");
  REQUIRE(f.wait_finished(second));
  REQUIRE(f.wait_finished(first));
  CHECK(f.note.lines() == std::vector<std::string>{"v2", "v1"});

  // A broken file: the reload fails with file:line and what is wrong; the old one stays.
  std::ofstream(f.core.dir() / "dialplan" / "extensions.conf")
      << "[test]\nexten => 100,1,Note(v3)\n same => 1,Note(dup)\n";
  out = f.command("dialplan reload", &status);
  CHECK(status == 1);
  std::string file = (f.core.dir() / "dialplan" / "extensions.conf").string();
  CHECK(out.find(file + ":3:10: duplicate priority 1 of extension '100' in [test] (already at " + file +
                 ":2)") != std::string::npos);
  auto third = f.make_channel("third");
  f.start(third, "test", "100");
  REQUIRE(f.wait_finished(third));
  CHECK(f.note.lines() == std::vector<std::string>{"v2", "v1", "v2"});
  CHECK(f.core->dialplan().exists("more", "1"));
}

TEST_CASE("dialplan: find_priority, exists, dialplan show", "[dialplan]") {
  DialplanFixture f("[test]\nexten => 100,1,Note(a)\n same => n(two),Note(b)\nexten => _2X,1,Note(c)\n");
  auto& dp = f.core->dialplan();
  CHECK(dp.exists("test", "100"));
  CHECK(dp.exists("test", "25"));
  CHECK(!dp.exists("test", "250"));
  CHECK(!dp.exists("nope", "100"));
  CHECK(dp.find_priority("test", "100", "two").value() == 2);
  CHECK(dp.find_priority("test", "100", "1").value() == 1);
  CHECK(dp.find_priority("test", "100", "3").message() == "no priority or label '3' in extension '100' of [test]");
  CHECK(dp.find_priority("test", "300", "1").message() == "no extension '300' in [test]");
  CHECK(dp.find_priority("x", "100", "1").message() == "no context [x] in the dialplan");

  int status = -1;
  auto out = f.command("dialplan show test", &status);
  CHECK(status == 0);
  CHECK(out.find("'100' =>") != std::string::npos);
  CHECK(out.find("2. (two)") != std::string::npos);
  CHECK(out.find("Note(b)") != std::string::npos);
  CHECK(out.find("'_2X' =>") != std::string::npos);
  CHECK(out.find("-= 2 extensions in 1 contexts =-") != std::string::npos);
  out = f.command("dialplan show 25@test", &status);
  CHECK(status == 0);
  CHECK(out.find("'_2X' =>") != std::string::npos);
  CHECK(out.find("'100'") == std::string::npos);
  out = f.command("dialplan show nowhere", &status);
  CHECK(status == 1);
}

namespace {

// Writes "count:arg1|arg2|..." per call, at once (an InstantApplication, as NoOp and Set are).
class CountArgumentsApp final : public InstantApplication {
 public:
  std::string_view name() const override { return "CountArgs"; }
  std::string_view synopsis() const override { return "test: counts and records its arguments"; }
  AppResult run(Channel&, const AppArgs& args) override {
    std::string line = std::to_string(args.size()) + ":";
    for (size_t i = 0; i < args.size(); ++i) line += (i ? "|" : "") + args[i];
    lines.push_back(line);  // the worker loop only
    return AppResult::Continue;
  }
  std::vector<std::string> lines;
};

}  // namespace

// Plain ${NAME}s go straight into the arguments split at compile time; a value with a comma,
// a quote, a backslash or a parenthesis falls back to splitting the text. Either way the
// application gets what splitting the substituted text gives, as in Asterisk.
TEST_CASE("dialplan flow: ${NAME} arguments split as the substituted text would be", "[dialplan][flow]") {
  const std::vector<std::pair<std::string, std::string>> values = {
      {"EMPTY", ""},         {"ONE", "x"},           {"COMMA", "a,b"},
      {"PADDED", " p q "},   {"QUOTE", "q\"uote"},   {"PARENS", "(p,q)"},
      {"BACKSLASH", "b\\,s"}, {"BLANKS", "  "},
  };
  const std::vector<std::string> templates = {
      "${EMPTY}", "${ONE}", "${COMMA}", " ${ONE} , ${PADDED} ", "${EMPTY},${EMPTY}", "${EMPTY},",
      ",${ONE},", "x${PADDED}y", "${QUOTE}", "${PARENS}", "${BACKSLASH}", "${BLANKS}",
      "${EMPTY} ${EMPTY}", "pre ${ONE}post,${COMMA}", "${PADDED}${PADDED}", "${UNSET}",
      "${UNSET},,", "${EXTEN},${CONTEXT}", "${ONE}, ,${ONE}",
  };
  std::string text = "[test]\n";
  std::string lead = "exten => 100,1,";
  for (const std::string& t : templates) {
    text += lead + "CountArgs(" + t + ")\n";
    lead = " same => n,";
  }
  DialplanFixture f(text);
  CountArgumentsApp app;
  auto& reg = f.core->registries();
  auto added = reg.applications.add("CountArgs", app, reg.core_usage);
  REQUIRE(added);
  Registration registration = std::move(*added);

  std::vector<std::string> expected;
  for (std::string t : templates) {
    for (auto [name, value] : values) {
      for (size_t at; (at = t.find("${" + name + "}")) != std::string::npos;)
        t.replace(at, name.size() + 3, value);
    }
    for (auto [name, value] : std::vector<std::pair<std::string, std::string>>{
             {"UNSET", ""}, {"EXTEN", "100"}, {"CONTEXT", "test"}}) {
      for (size_t at; (at = t.find("${" + name + "}")) != std::string::npos;)
        t.replace(at, name.size() + 3, value);
    }
    AppArgs split = split_app_arguments(t);
    std::string line = std::to_string(split.size()) + ":";
    for (size_t i = 0; i < split.size(); ++i) line += (i ? "|" : "") + split[i];
    expected.push_back(line);
  }
  auto ch = f.make_channel();
  f.on_loop([&] {
    for (auto& [name, value] : values) ch->set_var(name, value);
  });
  f.start(ch, "test", "100");
  REQUIRE(f.wait_finished(ch));
  std::vector<std::string> lines;
  f.on_loop([&] { lines = app.lines; });
  CHECK(lines == expected);
  registration.release();
}

// A run keeps the modules of the applications it runs back to back pinned, and lets go before
// it waits: an operator can unload a module a waiting call used a moment ago, but not the one
// it waits in.
TEST_CASE("dialplan flow: a module the call used before it waits can be unloaded meanwhile", "[dialplan][flow]") {
  DialplanFixture f("[test]\nexten => 100,1,Goto(go)\n same => n(go),Wait(10)\n");
  auto ch = f.make_channel();
  f.start(ch, "test", "100");
  bool waiting = false;
  for (int i = 0; i < 1000 && !waiting; ++i) {
    f.on_loop([&] { waiting = ch->application() == "Wait"; });
    if (!waiting) std::this_thread::sleep_for(2ms);
  }
  REQUIRE(waiting);
  auto refused = f.core->modules().unload("app_wait");
  CHECK(!refused);
  auto unloaded = f.core->modules().unload("app_goto");
  CHECK(unloaded.ok());
  f.on_loop([&] { ch->hangup(); });
  REQUIRE(f.wait_finished(ch));
  CHECK(f.engine().running() == 0);
}
