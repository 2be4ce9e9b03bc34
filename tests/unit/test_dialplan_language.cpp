// Golden tests of the dialplan language: each app and function on a scripted fake channel,
// checked against the priorities the engine ran (its trace) and the variables left behind.
#include <unistd.h>

#include <fstream>

#include "dialplan/db_store.h"
#include "dialplan/time_spec.h"
#include "dialplan_golden.h"

using namespace zvon;
using zvon::golden::Golden;
using Steps = std::vector<std::string>;

TEST_CASE("language: Set, NoOp, Verbose, Log, expressions and [globals]", "[dialplan][language]") {
  Golden g(
      "[globals]\nRATE=5\n"
      "[t]\n"
      "exten => 100,1,Set(X=$[${RATE} * 2])\n"
      " same => n,Set(Y=a,b)\n"
      " same => n,NoOp(${X} ${Y})\n"
      " same => n,Verbose(2,x is ${X})\n"
      " same => n,Log(NOTICE,y is ${Y})\n"
      " same => n,Set(X=)\n"
      " same => n,Set(CALLERID(num)=555)\n"
      " same => n,NoOp(${CALLERID(num)}|${X}|$[\"${X}\" = \"\"])\n");
  auto vars = g.call("t", "100");
  CHECK(g.trace() == Steps{"Set(X=10)", "Set(Y=a,b)", "NoOp(10 a,b)", "Verbose(2,x is 10)",
                           "Log(NOTICE,y is a,b)", "Set(X=)", "Set(CALLERID(num)=555)", "NoOp(555||1)"});
  CHECK(vars.count("X") == 0);
  CHECK(vars["Y"] == "a,b");
}

TEST_CASE("language: GLOBAL() is shared by calls; [globals] reset on reload", "[dialplan][language]") {
  Golden g(
      "[globals]\nCOUNT=0\n"
      "[t]\n"
      "exten => 1,1,Set(GLOBAL(COUNT)=$[${COUNT} + 1])\n"
      " same => n,Set(GLOBAL(SEEN)=yes)\n"
      "exten => 2,1,NoOp(${COUNT} ${GLOBAL(SEEN)})\n");
  g.call("t", "1");
  g.call("t", "1");
  g.call("t", "2");
  CHECK(g.trace() == Steps{"NoOp(2 yes)"});
  int status = -1;
  g.command("dialplan reload", &status);
  CHECK(status == 0);
  g.call("t", "2");
  CHECK(g.trace() == Steps{"NoOp(0 yes)"});
}

TEST_CASE("language: GotoIf and ExecIf on ${CALLERID(num)}", "[dialplan][language]") {
  Golden g(
      "[t]\n"
      "exten => 100,1,GotoIf($[${CALLERID(num)} = 101]?boss:others,1)\n"
      " same => n(boss),NoOp(boss)\n"
      " same => n,ExecIf($[${LEN(${CALLERID(num)})} = 3]?NoOp(short):NoOp(long))\n"
      " same => n,GotoIf($[1 = 2]?nowhere)\n"
      " same => n,Hangup(16)\n"
      "exten => others,1,NoOp(others)\n"
      " same => n,Busy()\n");
  g.call("t", "100", "101");
  CHECK(g.trace() == Steps{"GotoIf(1?boss:others,1)", "NoOp(boss)", "ExecIf(1?NoOp(short):NoOp(long))",
                           "GotoIf(0?nowhere)", "Hangup(16)"});
  CHECK(g.cause == HangupCause::Normal);
  g.call("t", "100", "2000");
  CHECK(g.trace() == Steps{"GotoIf(0?boss:others,1)", "NoOp(others)", "Busy()"});
  CHECK(g.cause == HangupCause::Busy);
  CHECK(g.driver() == Steps{"hangup NORMAL_CLEARING", "hangup USER_BUSY"});
}

TEST_CASE("language: Gosub with arguments, LOCAL() and Return", "[dialplan][language]") {
  Golden g(
      "[t]\n"
      "exten => 100,1,Set(x=outer)\n"
      " same => n,Set(ARG1=caller's)\n"
      " same => n,Gosub(sub,s,1(hello,world))\n"
      " same => n,NoOp(${GOSUB_RETVAL} ${x} ${ARG1} ${ARGC})\n"
      " same => n,Gosub(sub,s,nested)\n"
      " same => n,NoOp(${GOSUB_RETVAL})\n"
      "[sub]\n"
      "exten => s,1,NoOp(${ARGC}:${ARG1}:${ARG2})\n"
      " same => n,Set(LOCAL(x)=inner)\n"
      " same => n,Return(${ARG2}-${x})\n"
      " same => n(nested),Gosub(s,1(deep))\n"
      " same => n,Return(after ${GOSUB_RETVAL})\n");
  auto vars = g.call("t", "100");
  CHECK(g.trace() == Steps{"Set(x=outer)", "Set(ARG1=caller's)", "Gosub(sub,s,1(hello,world))",
                           "NoOp(2:hello:world)", "Set(LOCAL(x)=inner)", "Return(world-inner)",
                           "NoOp(world-inner outer caller's )", "Gosub(sub,s,nested)",
                           "Gosub(s,1(deep))", "NoOp(1:deep:)", "Set(LOCAL(x)=inner)", "Return(-inner)",
                           "Return(after -inner)", "NoOp(after -inner)"});
  CHECK(vars["x"] == "outer");
  CHECK(vars.count("ARGC") == 0);
}

TEST_CASE("language: GosubIf picks its subroutine by the condition", "[dialplan][language]") {
  Golden g(
      "[t]\n"
      "exten => 1,1,GosubIf($[${CALLERID(num)} > 200]?big,1(${CALLERID(num)}):small,1)\n"
      " same => n,GosubIf(0?big,1)\n"
      " same => n,NoOp(${GOSUB_RETVAL})\n"
      "exten => big,1,Return(big ${ARG1})\n"
      "exten => small,1,Return(small ${ARGC})\n");
  g.call("t", "1", "555");
  CHECK(g.trace() == Steps{"GosubIf(1?big,1(555):small,1)", "Return(big 555)", "GosubIf(0?big,1)", "NoOp(big 555)"});
  g.call("t", "1", "101");
  CHECK(g.trace() == Steps{"GosubIf(0?big,1(101):small,1)", "Return(small 0)", "GosubIf(0?big,1)", "NoOp(small 0)"});
}

TEST_CASE("language: Return without Gosub and LOCAL outside a Gosub are errors", "[dialplan][language]") {
  Golden g("[t]\nexten => 1,1,Set(LOCAL(x)=1)\n same => n,NoOp(${x})\n same => n,Return()\n same => n,NoOp(never)\n");
  g.call("t", "1");
  CHECK(g.trace() == Steps{"Set(LOCAL(x)=1)", "NoOp()", "Return()"});
}

TEST_CASE("language: While, EndWhile, ExitWhile", "[dialplan][language]") {
  Golden g(
      "[t]\n"
      "exten => 1,1,Set(i=0)\n"
      " same => n,While($[${i} < 3])\n"
      " same => n,Set(i=$[${i} + 1])\n"
      " same => n,EndWhile()\n"
      " same => n,Set(j=0)\n"
      " same => n,While(1)\n"
      " same => n,Set(j=$[${j} + 1])\n"
      " same => n,ExecIf($[${j} >= 2]?ExitWhile())\n"
      " same => n,EndWhile()\n"
      " same => n,NoOp(${i} ${j})\n");
  g.call("t", "1");
  CHECK(g.trace() == Steps{"Set(i=0)", "While(1)", "Set(i=1)", "EndWhile()", "While(1)", "Set(i=2)",
                           "EndWhile()", "While(1)", "Set(i=3)", "EndWhile()", "While(0)", "Set(j=0)",
                           "While(1)", "Set(j=1)", "ExecIf(0?ExitWhile())", "EndWhile()", "While(1)",
                           "Set(j=2)", "ExecIf(1?ExitWhile())", "NoOp(3 2)"});
}

TEST_CASE("language: GotoIfTime and time-conditional includes follow the clock", "[dialplan][language]") {
  Golden g(
      "[t]\n"
      "include => day,09:00-18:00,mon-fri,*,*,Europe/Moscow\n"
      "include => night\n"
      "exten => 1,1,GotoIfTime(09:00-18:00,mon-fri,*,*,Europe/Moscow?open:closed)\n"
      " same => n(open),NoOp(open)\n"
      " same => n,Hangup()\n"
      " same => n(closed),NoOp(closed)\n"
      "exten => 2,1,GotoIfTime(*,*,31,dec?ny)\n"
      " same => n,NoOp(ordinary day)\n"
      " same => n,Hangup()\n"
      " same => n(ny),NoOp(new year's eve)\n"
      "[day]\nexten => 500,1,NoOp(day desk)\n"
      "[night]\nexten => 500,1,NoOp(night desk)\n");
  // Tuesday 2026-12-01 10:30 in Moscow (UTC+3) is 07:30 UTC.
  g.engine().set_clock(std::time_t(1796110200));
  g.call("t", "1");
  CHECK(g.trace() == Steps{"GotoIfTime(09:00-18:00,mon-fri,*,*,Europe/Moscow?open:closed)", "NoOp(open)", "Hangup()"});
  g.call("t", "500");
  CHECK(g.trace() == Steps{"NoOp(day desk)"});
  g.call("t", "2");
  CHECK(g.trace() == Steps{"GotoIfTime(*,*,31,dec?ny)", "NoOp(ordinary day)", "Hangup()"});
  // Thursday 2026-12-31 19:05 Moscow = 16:05 UTC: after hours, and the 31st of December.
  g.engine().set_clock(std::time_t(1798733100));
  g.call("t", "1");
  CHECK(g.trace() == Steps{"GotoIfTime(09:00-18:00,mon-fri,*,*,Europe/Moscow?open:closed)", "NoOp(closed)"});
  g.call("t", "500");
  CHECK(g.trace() == Steps{"NoOp(night desk)"});
  g.call("t", "2");
  CHECK(g.trace() == Steps{"GotoIfTime(*,*,31,dec?ny)", "NoOp(new year's eve)"});
}

TEST_CASE("language: time specs parse weekdays, days, months, zones", "[dialplan][language]") {
  auto spec = TimeSpec::parse("22:00-06:00,fri-mon,1-15&20,jan-mar&dec");
  REQUIRE(spec);
  auto at = [](int y, int mo, int d, int h, int mi) {
    LocalTime l;
    l.year = y, l.month = mo, l.mday = d, l.hour = h, l.minute = mi;
    return TimeZone::load("UTC").value()->to_utc(l);
  };
  CHECK(spec->matches(at(2027, 1, 1, 23, 0)));   // Friday night
  CHECK(spec->matches(at(2027, 1, 4, 5, 59)));   // Monday early
  CHECK(!spec->matches(at(2027, 1, 4, 6, 0)));   // the end is not included
  CHECK(!spec->matches(at(2027, 1, 5, 23, 0)));  // Tuesday
  CHECK(!spec->matches(at(2027, 1, 16, 23, 0))); // the 16th (a Saturday)
  CHECK(!spec->matches(at(2027, 4, 2, 23, 0)));  // April
  CHECK(TimeSpec::parse("9:00-18:00,mon-fry,*,*").message() == "weekday 'fry' is not one of sun..sat");
  CHECK(TimeSpec::parse("25:00,*,*,*").message() == "time '25:00' is not HH:MM (00:00 to 24:00)");
  CHECK(TimeSpec::parse("*,*,32,*").message() == "day of month '32' is not a number from 1 to 31");
  CHECK(TimeSpec::parse("*,*,*,*,Mars/Base").message() == "unknown time zone 'Mars/Base' (no /usr/share/zoneinfo/Mars/Base)");
  CHECK(TimeSpec::parse("*,*").message() == "time condition '*,*' needs 4 or 5 fields: times,weekdays,days of month,months[,time zone]");
  auto moscow = TimeZone::load("Europe/Moscow");
  REQUIRE(moscow);
  LocalTime l = (*moscow)->local(std::time_t(1798733100));
  CHECK((l.year == 2026 && l.month == 12 && l.mday == 31 && l.hour == 19 && l.minute == 5 && l.wday == 4));
}

TEST_CASE("language: functions IF LEN CUT FILTER REGEX ISNULL EXISTS RAND STRFTIME CHANNEL HANGUPCAUSE", "[dialplan][language]") {
  Golden g(
      "[t]\n"
      "exten => 100,1,Set(LIST=a-b-c-d)\n"
      " same => n,NoOp(${IF($[1 > 0]?yes:no)} ${IF(0?yes:no)} ${IF(?x:)})\n"
      " same => n,NoOp(${LEN(hello)} ${LEN()} ${CUT(LIST,-,2)} ${CUT(LIST,-,2-3)} ${CUT(LIST,-,3-)})\n"
      " same => n,NoOp(${FILTER(0-9,+7 (495) 123-45)} ${FILTER(a-c,abcdef)})\n"
      " same => n,NoOp(${REGEX(\"^1[0-9]+$\" ${CALLERID(num)})} ${REGEX(\"^9\" 101)})\n"
      " same => n,NoOp(${ISNULL(${NOPE})} ${ISNULL(x)} ${EXISTS(${LIST})} ${EXISTS()})\n"
      " same => n,Set(R=${RAND(5,7)})\n"
      " same => n,NoOp(${STRFTIME(1798733100,Europe/Moscow,%Y-%m-%d %H:%M)} ${STRFTIME(0,,%Y)})\n"
      " same => n,NoOp(${CHANNEL(state)} ${CHANNEL(channeltype)} ${CHANNEL(context)} ${CHANNEL(exten)})\n"
      " same => n,NoOp(${HANGUPCAUSE()} ${HANGUPCAUSE(text)} ${CHANNEL(name)})\n");
  auto vars = g.call("t", "100", "101");
  auto t = g.trace();
  REQUIRE(t.size() == 10);
  CHECK(t[1] == "NoOp(yes no )");
  CHECK(t[2] == "NoOp(5 0 b b-c c-d)");
  CHECK(t[3] == "NoOp(749512345 abc)");
  CHECK(t[4] == "NoOp(1 0)");
  CHECK(t[5] == "NoOp(1 0 1 0)");
  CHECK((vars["R"] == "5" || vars["R"] == "6" || vars["R"] == "7"));
  CHECK(t[7] == "NoOp(2026-12-31 19:05 1970)");
  CHECK(t[8] == "NoOp(Down TEST t 100)");
  CHECK(t[9].starts_with("NoOp(0 UNKNOWN TEST/101-"));
}

TEST_CASE("language: a function's error names file:line and ends the call; e catches it", "[dialplan][language]") {
  Golden g(
      "[t]\n"
      "exten => 1,1,NoOp($[1 / 0])\n"
      " same => n,NoOp(never)\n"
      "[u]\n"
      "exten => 1,1,NoOp(${CUT(X,-,zero)})\n"
      "exten => e,1,NoOp(caught: ${EXCEPTION})\n");
  g.call("t", "1");
  CHECK(g.trace().empty());
  CHECK(g.cause == HangupCause::Failure);
  g.call("u", "1");
  CHECK(g.trace() == Steps{"NoOp(caught: CUT(X,-,zero): field 'zero' is not N, N-M or N-)"});
}

TEST_CASE("language: DB, DB_EXISTS, DB_DELETE persist across a restart", "[dialplan][language]") {
  std::string dialplan =
      "[t]\n"
      "exten => set,1,Set(DB(cf/101)=+74951234567)\n"
      " same => n,Set(DB(cf/102)=tab\there)\n"
      "exten => get,1,NoOp(${DB(cf/101)} ${DB_EXISTS(cf/101)} ${DB_RESULT} ${DB_EXISTS(cf/999)})\n"
      "exten => del,1,NoOp(${DB_DELETE(cf/101)} ${DB_EXISTS(cf/101)})\n"
      "exten => bad,1,NoOp(${DB(nofamily)})\n";
  std::filesystem::path journal;
  const std::filesystem::path saved =
      std::filesystem::temp_directory_path() / ("zvon-unit-db-" + std::to_string(::getpid()));
  {
    Golden g(dialplan);
    g.call("t", "set");
    g.call("t", "get");
    CHECK(g.trace() == Steps{"NoOp(+74951234567 1 +74951234567 0)"});
    journal = g.core->paths().data_dir / "dialplan-db.journal";
    g.engine().db()->flush();
    // Keep the journal for the "restart": copy it out of the core's directory.
    std::filesystem::copy_file(journal, saved, std::filesystem::copy_options::overwrite_existing);
  }
  {
    // A new engine on the same journal: a restart.
    Golden g(dialplan);
    auto file = g.core->paths().data_dir / "dialplan-db.journal";
    std::filesystem::create_directories(file.parent_path());
    std::filesystem::copy_file(saved, file, std::filesystem::copy_options::overwrite_existing);
    {
      std::ofstream torn(file, std::ios::app);
      torn << "S\tcf/torn\tno newline";  // a crash in the middle of a write
    }
    g.call("t", "get");
    CHECK(g.trace() == Steps{"NoOp(+74951234567 1 +74951234567 0)"});
    CHECK(g.engine().db()->get("cf/102") == std::optional<std::string>("tab\there"));
    CHECK(!g.engine().db()->get("cf/torn"));
    g.call("t", "del");
    CHECK(g.trace() == Steps{"NoOp(+74951234567 0)"});
    g.call("t", "bad");
    CHECK(g.trace().empty());
    CHECK(g.cause == HangupCause::Failure);
  }
  std::filesystem::remove(saved);
}

TEST_CASE("language: the DB journal is compacted through a temporary file and a rename", "[dialplan][language]") {
  auto dir = std::filesystem::temp_directory_path() / ("zvon-unit-dbc-" + std::to_string(::getpid()));
  auto file = dir / "db.journal";
  {
    auto store = DbStore::open(file);
    REQUIRE(store);
    for (int i = 0; i < 300; ++i) (*store)->put("cf/101", std::to_string(i));
    (*store)->put("cf/102", "x");
    (*store)->erase("cf/102");
    (*store)->flush();
  }
  auto lines = [&] {
    std::ifstream in(file);
    std::string l;
    size_t n = 0;
    while (std::getline(in, l)) ++n;
    return n;
  };
  CHECK(lines() == 302);
  {
    auto store = DbStore::open(file);  // replays, then rewrites the one live key
    REQUIRE(store);
    CHECK((*store)->get("cf/101") == std::optional<std::string>("299"));
    CHECK(!(*store)->get("cf/102"));
  }
  CHECK(lines() == 1);
  CHECK(!std::filesystem::exists(dir / "db.journal.tmp"));
  std::filesystem::remove_all(dir);
}

TEST_CASE("language: h runs after the hang-up, i on an invalid Goto, s by default", "[dialplan][language]") {
  Golden g(
      "[t]\n"
      "exten => s,1,NoOp(start ${EXTEN})\n"
      " same => n,Goto(nowhere,1)\n"
      "exten => i,1,NoOp(invalid ${INVALID_EXTEN})\n"
      " same => n,Busy()\n"
      "exten => h,1,NoOp(after ${HANGUPCAUSE})\n"
      " same => n,Set(GLOBAL(LAST)=${CHANNEL(state)})\n");
  g.call("t", "");
  CHECK(g.trace() == Steps{"NoOp(start s)", "Goto(nowhere,1)", "NoOp(invalid nowhere)", "Busy()",
                           "NoOp(after 17)", "Set(GLOBAL(LAST)=Hungup)"});
  CHECK(g.engine().global("LAST") == std::optional<std::string>("Hungup"));
}

TEST_CASE("language: Progress, Ringing, Congestion", "[dialplan][language]") {
  Golden g("[t]\nexten => 1,1,Progress()\n same => n,Ringing()\n same => n,Congestion()\n same => n,NoOp(never)\n");
  g.call("t", "1");
  CHECK(g.trace() == Steps{"Progress()", "Ringing()", "Congestion()"});
  CHECK(g.driver() == Steps{"progress", "ring", "hangup CONGESTION"});
}

TEST_CASE("language: _VAR and __VAR inherit to dialed channels; DIALSTATUS", "[dialplan][language]") {
  Golden g(
      "[t]\n"
      "exten => 1,1,Set(_ONCE=1)\n"
      " same => n,Set(__ALWAYS=2)\n"
      " same => n,Set(PLAIN=3)\n"
      " same => n,NoOp(${ONCE} ${ALWAYS} ${PLAIN})\n"
      " same => n,Dial(FAKE/x,5)\n"
      " same => n,NoOp(${DIALSTATUS})\n");
  g.call("t", "1");
  auto t = g.trace();
  REQUIRE(t.size() == 6);
  CHECK(t[3] == "NoOp(1 2 3)");
  CHECK(t[5] == "NoOp(BUSY)");
  std::vector<std::string> inherited;
  g.loop().run_sync([&] { inherited = g.fake.inherited; });
  CHECK(inherited == std::vector<std::string>{"ONCE=1 __ALWAYS=2"});
}

TEST_CASE("language: include => and its errors", "[dialplan][language]") {
  Golden g(
      "[t]\ninclude => a\ninclude => b\nexten => 1,1,NoOp(own)\n"
      "[a]\nexten => _2X,1,NoOp(a ${EXTEN} ${CONTEXT})\ninclude => b\n"
      "[b]\nexten => 21,1,NoOp(b exact)\nexten => 3,1,NoOp(b)\ninclude => t\n");
  g.call("t", "1");
  CHECK(g.trace() == Steps{"NoOp(own)"});
  g.call("t", "21");
  CHECK(g.trace() == Steps{"NoOp(a 21 t)"});  // the first include that has it wins
  g.call("t", "3");
  CHECK(g.trace() == Steps{"NoOp(b)"});
  auto bad = compile_dialplan(Config::parse_string("[t]\ninclude => nope\ninclude => x,25:00,*,*,*\n", "x.conf").value());
  CHECK(bad.message() ==
        "x.conf:3:14: include => x: time '25:00' is not HH:MM (00:00 to 24:00)\n"
        "x.conf:2:12: include => nope: there is no context [nope] in the dialplan");
}
