// dialplan check / route / trace, and reload atomicity, on a real core.
#include <fstream>
#include <sstream>

#include "dialplan_golden.h"

using namespace zvon;
using zvon::golden::Golden;
using Steps = std::vector<std::string>;

TEST_CASE("dialplan check: every error at once with file:line:column and a hint", "[dialplan][tooling]") {
  Golden g("[t]\nexten => 1,1,NoOp()\n");
  auto file = g.core.dir() / "dialplan" / "broken.conf";
  std::ofstream(file) << "[t]\n"
                         "exten => 1,1,Answr()\n"                      // 2: unknown app
                         " same => n,NoOp(${LENN(x)})\n"               // 3: unknown function
                         " same => n,GotoIf($[1]?2,nolabel)\n"         // 4: a missing label
                         " same => n,Goto(start)\n"                    // 5: missing label
                         " same => n,NoOp(unreachable)\n"             // 6: after a Goto
                         " same => 9,NoOp(gap)\n"                      // 7: after a gap
                         "exten => 2,1(begin),While(1)\n"              // 8: unbalanced While
                         " same => n,GotoIf($[1]?begin:other,9)\n"     // 9: bad context
                         "exten => 3,1,Set(NOFUNC(x)=1)\n";            // 10: unknown function assigned
  int status = -1;
  std::string out = g.command("dialplan check broken.conf", &status);
  CHECK(status == 1);
  std::string f = file.string();
  CHECK(out.find(f + ":8:1: While() without its EndWhile() in extension '2' of [t]: add 'same => n,EndWhile()' after the loop's body") != std::string::npos);
  // Compile errors stop the rest; fix the While and check again for the rest at once.
  std::ofstream(file) << "[t]\n"
                         "exten => 1,1,Answr()\n"
                         " same => n,NoOp(${LENN(x)})\n"
                         " same => n,GotoIf($[1]?2,nolabel)\n"
                         " same => n,Goto(start)\n"
                         " same => n,NoOp(unreachable)\n"
                         " same => 9,NoOp(gap)\n"
                         "exten => 2,1(begin),While(1)\n"
                         " same => n,EndWhile()\n"
                         " same => n,GotoIf($[1]?begin:other,9)\n"
                         "exten => 3,1,Set(NOFUNC(x)=1)\n";
  out = g.command("dialplan check " + f, &status);
  CHECK(status == 1);
  CHECK(out ==
        f + ":2:1: unknown application 'Answr' (did you mean Answer?); is its module loaded?\n" +
        f + ":3:2: unknown function LENN() in NoOp(): is its module loaded, or is the name misspelt?\n" +
        f + ":4:2: GotoIf(): no priority or label 'nolabel' in extension '2' of [t]\n" +
        f + ":5:2: Goto(): no priority or label 'start' in extension '1' of [t]\n" +
        f + ":6:2: unreachable priority 5 of extension '1' in [t]: Goto() before it never continues (give it a label if a Goto should reach it)\n" +
        f + ":7:2: unreachable priority 9 of extension '1' in [t]: priority 6 does not exist, so the dialplan ends before it (use 'n', or give it a label)\n" +
        f + ":10:2: GotoIf(): no extension 'other' in [t] for target 'other,9'\n" +
        f + ":11:1: unknown function NOFUNC() assigned in Set(): is its module loaded?\n" +
        "8 errors in " + f + "\n");
  out = g.command("dialplan check", &status);
  CHECK(status == 0);
  CHECK(out.find("no errors found") != std::string::npos);
}

TEST_CASE("dialplan route: a dry run by caller and time", "[dialplan][tooling]") {
  Golden g(
      "[in]\n"
      "exten => 500,1,Set(VIP=$[${CALLERID(num)} =~ ^1])\n"
      " same => n,GotoIf(${VIP}?vip)\n"
      " same => n,GotoIfTime(09:00-18:00,mon-fri,*,*,Europe/Moscow?office)\n"
      " same => n,Playback(closed)\n"
      " same => n,Hangup()\n"
      " same => n(office),Dial(SIP/200,30)\n"
      " same => n(vip),Set(DB(calls/last)=x)\n"
      " same => n,Gosub(sub,s,1)\n"
      " same => n,Dial(SIP/100)\n"
      "[sub]\nexten => s,1,Answer()\n same => n,Return()\n");
  int status = -1;
  std::string out = g.command("dialplan route in 500 caller=2001 \"at=2026-12-31 19:05 Europe/Moscow\"", &status);
  CHECK(status == 0);
  CHECK(out ==
        "[500@in:1] Set(VIP=0)\n"
        "[500@in:2] GotoIf(0?vip)\n"
        "[500@in:3] GotoIfTime(09:00-18:00,mon-fri,*,*,Europe/Moscow?office)\n"
        "[500@in:4] Playback(closed)\n"
        "[500@in:5] Hangup()\n"
        "the call ends up here: Hangup() at 500@in:5\n");
  out = g.command("dialplan route in 500 caller=2001 \"at=2026-12-01 10:30 Europe/Moscow\"", &status);
  CHECK(out.find("[500@in:6] Dial(SIP/200,30)\nthe call ends up here: Dial(SIP/200,30) at 500@in:6\n") != std::string::npos);
  out = g.command("dialplan route in 500 caller=101", &status);
  CHECK(out ==
        "[500@in:1] Set(VIP=1)\n"
        "[500@in:2] GotoIf(1?vip)\n"
        "[500@in:7] Set(DB(calls/last)=x)\n"
        "[500@in:8] Gosub(sub,s,1)\n"
        "[s@sub:1] Answer()\n"
        "[s@sub:2] Return()\n"
        "[500@in:9] Dial(SIP/100)\n"
        "the call ends up here: Dial(SIP/100) at 500@in:9\n");
  CHECK(!g.engine().db()->get("calls/last"));  // the dry run wrote nothing
  out = g.command("dialplan route in 999", &status);
  CHECK(out == "No extension in [in] matches '999': the call would be refused as unallocated (404 Not Found)\n");
  out = g.command("dialplan route in 500 at=yesterday", &status);
  CHECK(status == 1);
  CHECK(out == "at='yesterday' is not \"YYYY-MM-DD HH:MM [Zone/Name]\"\n");
}

TEST_CASE("dialplan route digits=: the keys pressed at each menu", "[dialplan][tooling]") {
  Golden g(
      "[menu]\n"
      "exten => s,1,Background(menu)\n"
      " same => n,WaitExten(5)\n"
      "exten => 1,1,Dial(SIP/one)\n"
      "exten => 12,1,Dial(SIP/twelve)\n"
      "exten => 123,1,Dial(SIP/one-two-three)\n"
      "exten => _1XX,1,Dial(SIP/pattern-${EXTEN})\n"
      "exten => 2,1,Read(ACC,enter-account,4)\n"
      " same => n,Dial(SIP/account-${ACC})\n"
      "exten => 3,1,Goto(s,1)\n"
      "exten => i,1,Hangup(1)\n"
      "exten => t,1,Dial(SIP/operator)\n");
  int status = -1;
  std::string out = g.command("dialplan route menu s digits=123", &status);
  CHECK(status == 0);
  CHECK(out ==
        "[s@menu:1] Background(menu)\n"
        "[s@menu:2] WaitExten(5)\n"
        "keys '123' dial 123@menu\n"
        "[123@menu:1] Dial(SIP/one-two-three)\n"
        "the call ends up here: Dial(SIP/one-two-three) at 123@menu:1\n");
  auto ends = [&](const std::string& command, const std::string& last) {
    std::string o = g.command(command, &status);
    INFO(command << "\n" << o);
    CHECK(status == 0);
    CHECK(o.size() >= last.size());
    CHECK(o.compare(o.size() - last.size(), last.size(), last) == 0);
  };
  // 12 could still become 123 or _1XX: the digit timeout takes 12.
  ends("dialplan route menu s digits=12", "keys '12' dial 12@menu\n[12@menu:1] Dial(SIP/twelve)\n"
       "the call ends up here: Dial(SIP/twelve) at 12@menu:1\n");
  ends("dialplan route menu s digits=145", "the call ends up here: Dial(SIP/pattern-145) at 145@menu:1\n");
  ends("dialplan route menu s digits=9", "keys '9': no extension '9' in [menu]\n"
       "-> i@menu (INVALID_EXTEN=9)\n[i@menu:1] Hangup(1)\nthe call ends up here: Hangup(1) at i@menu:1\n");
  // Read takes the next group (# ends it, max 4 digits); groups split at ',' or ' '.
  ends("dialplan route menu s digits=2,56789#", "keys '56789#': ACC=5678\n[2@menu:2] Dial(SIP/account-5678)\n"
       "the call ends up here: Dial(SIP/account-5678) at 2@menu:2\n");
  ends("dialplan route menu s \"digits=3 12#\"", "keys '12#' dial 12@menu\n[12@menu:1] Dial(SIP/twelve)\n"
       "the call ends up here: Dial(SIP/twelve) at 12@menu:1\n");
  // The keys run out at the second menu: WaitExten times out to t.
  ends("dialplan route menu s digits=3", "no keys left: WaitExten times out\n-> t@menu\n"
       "[t@menu:1] Dial(SIP/operator)\nthe call ends up here: Dial(SIP/operator) at t@menu:1\n");
  out = g.command("dialplan route menu s digits=1x", &status);
  CHECK(status == 1);
  CHECK(out == "digits=: 'x' is not a key (0-9 * # A-D); separate the menu choices with ',' or ' '\n");
}

TEST_CASE("the demo's 700: office hours by GotoIfTime, then the menu by keys", "[dialplan][tooling]") {
  std::ifstream in(std::string(ZVON_SOURCE_DIR) + "/dialplan/extensions.conf");
  REQUIRE(in);
  std::stringstream demo;
  demo << in.rdbuf();
  Golden g(demo.str());
  int status = -1;
  // A Saturday evening in Moscow: closed.
  std::string out = g.command("dialplan route internal 700 \"at=2026-12-05 22:00 Europe/Moscow\"", &status);
  CHECK(status == 0);
  CHECK(out ==
        "[700@internal:1] GotoIfTime(09:00-18:00,mon-fri,*,*,Europe/Moscow?ivr-main,s,1)\n"
        "[700@internal:2] Goto(ivr-closed,s,1)\n"
        "[s@ivr-closed:1] Answer()\n"
        "[s@ivr-closed:2] Playback(ivr-closed)\n"
        "[s@ivr-closed:3] Hangup()\n"
        "the call ends up here: Hangup() at s@ivr-closed:3\n");
  // A Tuesday morning: the menu; 1 is sales.
  out = g.command("dialplan route internal 700 digits=1 \"at=2026-12-01 10:30 Europe/Moscow\"", &status);
  CHECK(out.find("[s@ivr-main:2] Background(welcome&ivr-main-menu)\n[s@ivr-main:3] WaitExten(5)\n"
                 "keys '1' dial 1@ivr-main\n") != std::string::npos);
  CHECK(out.find("the call ends up here: Dial(SIP/101,30) at 1@ivr-main:2\n") != std::string::npos);
}

TEST_CASE("hints: dialplan show hints and HINT()", "[dialplan][tooling]") {
  Golden g(
      "[internal]\n"
      "exten => 101,hint,SIP/101\n"
      "exten => 101,1,NoOp(${HINT(101)}|${HINT(102@other)}|${HINT(103)})\n"
      "[other]\n"
      "exten => 102,hint,SIP/102&SIP/102b\n");
  int status = -1;
  std::string out = g.command("dialplan show hints", &status);
  CHECK(status == 0);
  CHECK(out ==
        "101@internal            => SIP/101                  extensions.conf:2   State:Idle  Watchers:0\n"
        "102@other               => SIP/102&SIP/102b         extensions.conf:5   State:Idle  Watchers:0\n"
        "2 hints\n");
  g.call("internal", "101");
  CHECK(g.trace() == Steps{"NoOp(SIP/101|SIP/102&SIP/102b|)"});
}

TEST_CASE("hints: DEVICE_STATE() and EXTENSION_STATE() through the dialplan", "[dialplan][tooling]") {
  Golden g(
      "[internal]\n"
      "exten => 200,hint,TEST/200&SIP/201\n"
      "exten => 300,1,NoOp(${DEVICE_STATE(TEST/200)}|${DEVICE_STATE(SIP/201)}|${EXTENSION_STATE(200)})\n"
      " same => n,Answer()\n"
      " same => n,NoOp(${DEVICE_STATE(TEST/200)}|${EXTENSION_STATE(200@internal)}|${EXTENSION_STATE(999)})\n"
      " same => n,Set(X=${DEVICE_STATE(nodevice)})\n"
      "exten => e,1,NoOp(${EXCEPTION})\n");
  // chan_sip would say this of an endpoint without a registration.
  g.core->device_states().report("SIP/201", DeviceState::Unavailable);
  g.call("internal", "300", "200");  // from the device TEST/200
  CHECK(g.trace() == Steps{"NoOp(UNKNOWN|UNAVAILABLE|UNAVAILABLE)", "Answer()", "NoOp(INUSE|INUSE|UNKNOWN)",
                           "NoOp(DEVICE_STATE(nodevice): name a device as TECH/name, e.g. DEVICE_STATE(SIP/101))"});
  // The call is over: the device is idle again, the hint follows.
  CHECK(g.core->device_states().device_state("TEST/200") == DeviceState::Unknown);
  CHECK(g.core->device_states().extension_state("200", "internal") == ExtensionState::Unavailable);
  g.core->device_states().report("SIP/201", DeviceState::NotInUse);
  CHECK(g.command("dialplan show hints").find("State:Idle") != std::string::npos);
}

TEST_CASE("dialplan trace: on for one channel or all, off", "[dialplan][tooling]") {
  Golden g("[t]\nexten => 1,1,NoOp(${CALLERID(num)})\n");
  int status = -1;
  CHECK(g.command("dialplan trace off all", &status) == "Dialplan trace off for every channel\n");
  g.call("t", "1");
  CHECK(g.trace().empty());
  CHECK(g.command("dialplan trace on TEST/nobody-1", &status) == "Dialplan trace on for TEST/nobody-1\n");
  g.call("t", "1");
  CHECK(g.trace().empty());
  g.command("dialplan trace on all", &status);
  g.call("t", "1", "777");
  CHECK(g.trace() == Steps{"NoOp(777)"});
  g.command("dialplan trace bogus", &status);
  CHECK(status == 1);
}

TEST_CASE("dialplan reload: a channel finishes its extension on the version it started with", "[dialplan][tooling]") {
  Golden g("[t]\nexten => 1,1,Wait(0.3)\n same => n,NoOp(v1)\n same => n,Goto(2,1)\nexten => 2,1,NoOp(v1 two)\n");
  std::thread caller([&] { g.call("t", "1"); });
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  std::ofstream(g.core.dir() / "dialplan" / "extensions.conf")
      << "[t]\nexten => 1,1,Wait(0.3)\n same => n,NoOp(v2)\n same => n,Goto(2,1)\nexten => 2,1,NoOp(v2 two)\n";
  int status = -1;
  g.command("dialplan reload", &status);
  CHECK(status == 0);
  caller.join();
  // Same extension: the old version; the Goto to another extension: the new one.
  CHECK(g.trace() == Steps{"Wait(0.3)", "NoOp(v1)", "Goto(2,1)", "NoOp(v2 two)"});
}
