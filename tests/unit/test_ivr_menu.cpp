// Voice menus: the key rules of WaitExten (core/src/dialplan/extension_collector.cpp) and Read
// (digit_reader.cpp) as pure logic, then Background, WaitExten and Read from the real app_ivr
// module running a dialplan on a core, with keys injected as a channel driver would.
#include <catch2/catch.hpp>

#include <cctype>
#include <chrono>
#include <functional>
#include <set>
#include <thread>

#include "dialplan_fixture.h"
#include "digit_reader.h"
#include "zvon/extension_collector.h"

using namespace zvon;
using namespace zvon::ivr;
using namespace std::chrono_literals;
using Action = ExtensionCollector::Action;

namespace {

// A context with 1, 2, 0, 105 (exact), _2XX, 9* and #: what the dialplan's lookahead answers.
DigitMatch menu_exists(std::string_view e) {
  static const std::set<std::string, std::less<>> exact{"1", "2", "0", "105", "9*", "#"};
  auto two_xx = [](std::string_view s) {  // s is a prefix of some _2XX number
    if (s.empty()) return true;
    if (s[0] != '2' || s.size() > 3) return false;
    for (char c : s.substr(1))
      if (!std::isdigit(static_cast<unsigned char>(c))) return false;
    return true;
  };
  DigitMatch m;
  m.exact = exact.count(e) > 0 || (e.size() == 3 && two_xx(e));
  m.more = e.size() < 3 && two_xx(e);
  for (auto& x : exact) m.more = m.more || (x.size() > e.size() && x.compare(0, e.size(), e) == 0);
  return m;
}

}  // namespace

TEST_CASE("ivr: an extension no longer one could follow is taken at once", "[ivr]") {
  ExtensionCollector c(menu_exists);
  CHECK(c.key('0') == Action::Go);
  CHECK(c.exten() == "0");
}

TEST_CASE("ivr: a prefix of a longer extension waits; the longer one is taken", "[ivr]") {
  ExtensionCollector c(menu_exists);
  CHECK(c.key('1') == Action::Wait);  // 1 exists, but so does 105
  CHECK(c.key('0') == Action::Wait);
  CHECK(c.key('5') == Action::Go);
  CHECK(c.exten() == "105");
}

TEST_CASE("ivr: the digit timeout takes the shorter extension", "[ivr]") {
  ExtensionCollector c(menu_exists);
  CHECK(c.key('1') == Action::Wait);
  CHECK(c.timed_out() == Action::Go);
  CHECK(c.exten() == "1");
}

TEST_CASE("ivr: # ends the number", "[ivr]") {
  ExtensionCollector c(menu_exists);
  CHECK(c.key('1') == Action::Wait);
  CHECK(c.key('#') == Action::Go);
  CHECK(c.exten() == "1");
}

TEST_CASE("ivr: an extension reached through a pattern", "[ivr]") {
  ExtensionCollector c(menu_exists);
  CHECK(c.key('2') == Action::Wait);  // 2 exists, _2XX could follow
  CHECK(c.key('4') == Action::Wait);
  CHECK(c.key('2') == Action::Go);
  CHECK(c.exten() == "242");
}

TEST_CASE("ivr: invalid input is known at the first key that cannot lead anywhere", "[ivr]") {
  ExtensionCollector c(menu_exists);
  CHECK(c.key('7') == Action::Invalid);
  CHECK(c.dialed() == "7");
  ExtensionCollector d(menu_exists);
  CHECK(d.key('1') == Action::Wait);
  CHECK(d.key('3') == Action::Invalid);  // nothing starts with 13
  CHECK(d.dialed() == "13");
}

TEST_CASE("ivr: a half-dialed number that times out is invalid; nothing dialed is a timeout", "[ivr]") {
  ExtensionCollector c(menu_exists);
  CHECK(c.key('9') == Action::Wait);  // 9* exists
  CHECK(c.timed_out() == Action::Invalid);
  CHECK(c.dialed() == "9");
  ExtensionCollector d(menu_exists);
  CHECK(d.timed_out() == Action::Timeout);
}

TEST_CASE("ivr: * and # are keys of extensions too", "[ivr]") {
  ExtensionCollector c(menu_exists);
  CHECK(c.key('9') == Action::Wait);
  CHECK(c.key('*') == Action::Go);
  CHECK(c.exten() == "9*");
  ExtensionCollector d(menu_exists);
  CHECK(d.key('#') == Action::Go);  // an extension named #
  CHECK(d.exten() == "#");
}

TEST_CASE("ivr: Read's keys: max digits, # ends, # alone is empty input", "[ivr]") {
  DigitReader four(4);
  CHECK(four.key('1') == DigitReader::State::Reading);
  CHECK(four.key('2') == DigitReader::State::Reading);
  CHECK(four.key('3') == DigitReader::State::Reading);
  CHECK(four.key('4') == DigitReader::State::Complete);
  CHECK(four.digits() == "1234");
  CHECK(four.key('5') == DigitReader::State::Complete);
  CHECK(four.digits() == "1234");

  DigitReader hash(4);
  hash.key('7');
  CHECK(hash.key('#') == DigitReader::State::Complete);
  CHECK(hash.digits() == "7");

  DigitReader empty(0);
  CHECK(empty.key('#') == DigitReader::State::Complete);
  CHECK(empty.digits().empty());

  DigitReader unlimited(0);
  for (int i = 0; i < 254; ++i) REQUIRE(unlimited.key('5') == DigitReader::State::Reading);
  CHECK(unlimited.key('5') == DigitReader::State::Complete);  // 255 is the most
  CHECK(unlimited.key('*') == DigitReader::State::Complete);
  DigitReader star(3);
  star.key('*');
  CHECK(star.digits() == "*");  // * is a digit for Read
}

// ---------------------------------------------------------------------------------------
// The applications on a real core.

namespace zvon::ivr_test {

// A call into the dialplan `text` with app_ivr: keys are injected as a channel driver would.
class MenuFixture : public test::DialplanFixture {
 public:
  explicit MenuFixture(std::string text)
      : DialplanFixture(std::move(text), {"app_answer", "app_goto", "app_hangup", "app_ivr"}) {}
  ~MenuFixture() {
    if (channel) {
      loop().run_sync([&] {
        if (!channel->hung_up()) channel->hangup(HangupCause::Normal);
      });
      wait_finished();
    }
  }

  // Starts the call in context/s with `typed_ahead` keys already pressed.
  void call(std::string context, std::string typed_ahead = "",
            std::function<void(Channel&)> setup = nullptr) {
    channel = make_channel("caller", [&](Channel& ch) {
      if (setup) setup(ch);
      for (char c : typed_ahead) ch.on_dtmf(c);
    });
    start(channel, context, "s");
  }
  void press(std::string keys) {
    loop().run_sync([&] {
      for (char c : keys) channel->on_dtmf(c);
    });
  }
  // The notes once there are `count` of them (bounded wait).
  std::vector<std::string> notes(size_t count, std::chrono::milliseconds limit = 5s) {
    auto deadline = std::chrono::steady_clock::now() + limit;
    while (note.lines().size() < count && std::chrono::steady_clock::now() < deadline)
      std::this_thread::sleep_for(5ms);
    return note.lines();
  }
  std::string pending() {
    std::string p;
    loop().run_sync([&] { p = channel->pending_digits(); });
    return p;
  }
  bool wait_finished(std::chrono::milliseconds limit = 5s) { return DialplanFixture::wait_finished(channel, limit); }

  std::shared_ptr<Channel> channel;
};

const char* kMenu =
    "[menu]\n"
    "exten => s,1,Answer()\n"
    " same => n(top),Background(no-such-prompt)\n"
    " same => n,Note(background,${BACKGROUNDSTATUS})\n"
    " same => n,WaitExten(1.5)\n"
    "exten => 0,1,Note(operator)\n"
    " same => n,Hangup()\n"
    "exten => 1,1,Note(sales)\n"
    " same => n,Hangup()\n"
    "exten => _1XX,1,Note(extension,${EXTEN})\n"
    " same => n,Hangup()\n"
    "exten => i,1,Note(invalid,${INVALID_EXTEN})\n"
    " same => n,Hangup()\n"
    "exten => t,1,Note(timeout)\n"
    " same => n,Hangup()\n"
    "[bare]\n"
    "exten => s,1,WaitExten(0.3)\n"
    " same => n,Note(never)\n"
    "[exception]\n"
    "exten => s,1,WaitExten(0.3)\n"
    "exten => e,1,Note(e,${EXCEPTION})\n";

}  // namespace zvon::ivr_test

using zvon::ivr_test::MenuFixture;

TEST_CASE("ivr: a key typed during Background reaches WaitExten's extension", "[ivr][menu]") {
  MenuFixture f(zvon::ivr_test::kMenu);
  f.call("menu", "0");
  auto notes = f.notes(2);
  REQUIRE(notes.size() == 2);
  // Keys waiting: Background plays nothing and reports no failure.
  CHECK(notes[0] == "background|SUCCESS");
  CHECK(notes[1] == "operator");
}

TEST_CASE("ivr: a key pressed while WaitExten waits", "[ivr][menu]") {
  MenuFixture f(zvon::ivr_test::kMenu);
  f.call("menu");
  auto first = f.notes(1);
  REQUIRE(first.size() == 1);
  CHECK(first[0] == "background|FAILED");  // the prompt does not exist (and there is no media)
  f.press("0");
  auto notes = f.notes(2);
  REQUIRE(notes.size() == 2);
  CHECK(notes[1] == "operator");
}

TEST_CASE("ivr: a longer extension through a pattern, and # ending a short one", "[ivr][menu]") {
  {
    MenuFixture f(zvon::ivr_test::kMenu);
    f.call("menu", "105");
    auto notes = f.notes(2);
    REQUIRE(notes.size() == 2);
    CHECK(notes[1] == "extension|105");
  }
  {
    MenuFixture f(zvon::ivr_test::kMenu);
    f.call("menu", "1#7");
    auto notes = f.notes(2);
    REQUIRE(notes.size() == 2);
    CHECK(notes[1] == "sales");
    CHECK(f.pending() == "7");  // keys after the number stay for the next menu
  }
}

TEST_CASE("ivr: an invalid key goes to i with INVALID_EXTEN", "[ivr][menu]") {
  MenuFixture f(zvon::ivr_test::kMenu);
  f.call("menu", "7");
  auto notes = f.notes(2);
  REQUIRE(notes.size() == 2);
  CHECK(notes[1] == "invalid|7");
  CHECK(f.pending().empty());
}

TEST_CASE("ivr: no key goes to t after the timeout", "[ivr][menu]") {
  MenuFixture f(zvon::ivr_test::kMenu);
  auto started = std::chrono::steady_clock::now();
  f.call("menu");
  auto notes = f.notes(2);
  REQUIRE(notes.size() == 2);
  CHECK(notes[1] == "timeout");
  CHECK(std::chrono::steady_clock::now() - started >= 1400ms);
}

TEST_CASE("ivr: without t or i the call ends; with e, e is used", "[ivr][menu]") {
  {
    MenuFixture f(zvon::ivr_test::kMenu);
    f.call("bare");
    std::this_thread::sleep_for(600ms);
    CHECK(f.note.lines().empty());
    CHECK(f.wait_finished());
  }
  {
    MenuFixture f(zvon::ivr_test::kMenu);
    f.call("exception");
    auto notes = f.notes(1);
    REQUIRE(notes.size() == 1);
    CHECK(notes[0] == "e|RESPONSETIMEOUT");
  }
}

namespace {
const char* kRead =
    "[read]\n"
    "exten => s,1,Read(PIN,,4,n,2,1)\n"
    " same => n,Note(${PIN},${READSTATUS})\n"
    " same => n,Goto(route,${PIN},1)\n"
    "[route]\n"
    "exten => _XXXX,1,Note(account,${EXTEN})\n"
    "exten => _X.,1,Note(other,${EXTEN})\n"
    "[bad]\n"
    "exten => s,1,Read(PIN,,300)\n"
    " same => n,Note(${READSTATUS})\n"
    "[zeros]\n"
    "exten => s,1,Read(PIN,,2,n,0,0)\n"
    " same => n,Note(${PIN},${READSTATUS})\n";
}  // namespace

TEST_CASE("ivr: Read's digits drive the routing", "[ivr][read]") {
  MenuFixture f(kRead);
  f.call("read", "1234");
  auto notes = f.notes(2);
  REQUIRE(notes.size() == 2);
  CHECK(notes[0] == "1234|OK");
  CHECK(notes[1] == "account|1234");
}

TEST_CASE("ivr: Read ends at #, keeps partial input on timeout, retries on nothing", "[ivr][read]") {
  {
    MenuFixture f(kRead);
    f.call("read", "12#");
    auto notes = f.notes(1);
    REQUIRE(!notes.empty());
    CHECK(notes[0] == "12|OK");
  }
  {
    MenuFixture f(kRead);
    f.call("read", "12");
    auto notes = f.notes(1);
    REQUIRE(!notes.empty());
    CHECK(notes[0] == "12|TIMEOUT");
  }
  {
    MenuFixture f(kRead);
    auto started = std::chrono::steady_clock::now();
    f.call("read");
    std::this_thread::sleep_for(1300ms);  // the first attempt (1 s) gave nothing
    f.press("9#");
    auto notes = f.notes(1);
    REQUIRE(!notes.empty());
    CHECK(notes[0] == "9|OK");
    CHECK(std::chrono::steady_clock::now() - started >= 1000ms);
  }
  {
    MenuFixture f(kRead);
    f.call("read");  // two attempts of 1 s, nothing
    auto notes = f.notes(1);
    REQUIRE(!notes.empty());
    CHECK(notes[0] == "|TIMEOUT");
  }
}

TEST_CASE("ivr: Read with bad arguments says ERROR and goes on", "[ivr][read]") {
  MenuFixture f(kRead);
  f.call("bad");
  auto notes = f.notes(1);
  REQUIRE(!notes.empty());
  CHECK(notes[0] == "ERROR");
}

TEST_CASE("ivr: Read's attempts and timeout 0 mean the defaults", "[ivr][read]") {
  MenuFixture f(kRead);
  f.call("zeros", "42");
  auto notes = f.notes(1);
  REQUIRE(!notes.empty());
  CHECK(notes[0] == "42|OK");
}

namespace {
const char* kTimeouts =
    "[timeouts]\n"
    "exten => s,1,WaitExten()\n"
    "exten => 1,1,Note(one)\n"
    "exten => 123,1,Note(long)\n"
    "exten => t,1,Note(timeout)\n";

void set_timeout(Channel& ch, std::string_view which, std::string_view seconds) {
  auto fn = ch.core().find_function("TIMEOUT");
  REQUIRE(fn);
  auto r = fn->write(ch, which, seconds);
  INFO((r ? std::string() : r.message()));
  REQUIRE(r);
}
}  // namespace

TEST_CASE("ivr: TIMEOUT(response) is WaitExten's default wait", "[ivr][timeout]") {
  MenuFixture f(kTimeouts);
  auto started = std::chrono::steady_clock::now();
  f.call("timeouts", "", [](Channel& ch) { set_timeout(ch, "response", "0.5"); });
  auto notes = f.notes(1, 4s);
  REQUIRE(notes.size() == 1);
  CHECK(notes[0] == "timeout");
  auto took = std::chrono::steady_clock::now() - started;
  CHECK(took >= 450ms);
  CHECK(took < 3s);  // not the 10 s default
}

TEST_CASE("ivr: TIMEOUT(digit) is the wait for the next key", "[ivr][timeout]") {
  MenuFixture f(kTimeouts);
  auto started = std::chrono::steady_clock::now();
  // 1 exists, and so does 123: after 1 WaitExten waits TIMEOUT(digit) for more, then takes 1.
  f.call("timeouts", "1", [](Channel& ch) { set_timeout(ch, "digit", "0.5"); });
  auto notes = f.notes(1, 4s);
  REQUIRE(notes.size() == 1);
  CHECK(notes[0] == "one");
  auto took = std::chrono::steady_clock::now() - started;
  CHECK(took >= 450ms);
  CHECK(took < 3s);  // not the 5 s default
}

TEST_CASE("ivr: TIMEOUT() reads the value in use and refuses bad ones", "[ivr][timeout]") {
  MenuFixture f(kTimeouts);
  f.loop().run_sync([&] {
    auto ch = Channel::create(f.core.core(), f.loop(), "TEST", "x", Direction::Inbound, {});
    auto fn = f.core->find_function("TIMEOUT");
    REQUIRE(fn);
    CHECK(*fn->read(*ch, "digit") == "5");
    CHECK(*fn->read(*ch, "response") == "10");
    REQUIRE(fn->write(*ch, "digit", "2.5"));
    CHECK(*fn->read(*ch, "digit") == "2.5");
    auto absolute = fn->read(*ch, "absolute");
    REQUIRE_FALSE(absolute);
    CHECK(absolute.message().find("digit or response") != std::string::npos);
    auto bad = fn->write(*ch, "response", "soon");
    REQUIRE_FALSE(bad);
    CHECK(bad.message().find("seconds") != std::string::npos);
    CHECK(*fn->read(*ch, "response") == "10");  // unchanged
  });
}

TEST_CASE("ivr: 1, 12, 123, _1XX and a six-key extension, with no fixed look-ahead", "[ivr][menu]") {
  // The engine's lookahead answers "could a longer number match?" for any length: 1 waits
  // for 123456 four keys further on, which the old two-key look-ahead could not see.
  const char* menu =
      "[deep]\n"
      "exten => s,1,WaitExten(2)\n"
      "exten => 1,1,Note(one)\n"
      "exten => 12,1,Note(twelve)\n"
      "exten => 123,1,Note(one-two-three)\n"
      "exten => _1XX,1,Note(pattern,${EXTEN})\n"
      "exten => 123456,1,Note(deep)\n"
      "exten => i,1,Note(invalid,${INVALID_EXTEN})\n";
  struct Case {
    const char* keys;
    const char* note;
  };
  for (Case c : {Case{"123456", "deep"}, Case{"145", "pattern|145"}, Case{"12#", "twelve"},
                 Case{"1235", "invalid|1235"}}) {
    MenuFixture f(menu);
    f.call("deep", c.keys);
    auto notes = f.notes(1);
    REQUIRE(notes.size() == 1);
    CHECK(notes[0] == c.note);
  }
  // 1 alone: a longer one could come, so the digit timeout decides for 1.
  MenuFixture f(menu);
  f.call("deep", "1", [](Channel& ch) { ch.set_var("TIMEOUT(digit)", "0.2"); });
  auto notes = f.notes(1);
  REQUIRE(notes.size() == 1);
  CHECK(notes[0] == "one");
}
