// The CDR builder on hand-made event sequences shaped like the ones Channel and Dial publish.
#include <catch2/catch.hpp>

#include "cdr_builder.h"
#include "json_string.h"

using namespace zvon;
using namespace zvon::cdr;

namespace {

constexpr uint64_t kT0 = 1'796'000'000'000'000;  // an instant in 2026, microseconds

struct Leg {
  std::string name, uid, direction, dialed;
};

Event chan(const char* type, const Leg& l, uint64_t t, std::string state) {
  Event e;
  e.type = type;
  e.time_us = t;
  e.add("channel", l.name).add("uniqueid", l.uid).add("state", std::move(state)).add("direction", l.direction);
  if (l.direction == "in") e.add("caller", "101").add("caller_name", "Alice \"A\"").add("context", "internal");
  if (!l.dialed.empty()) e.add("dialed", l.dialed);
  return e;
}

Event hangup(const char* type, const Leg& l, uint64_t t, int cause, const char* text, const char* by) {
  Event e = chan(type, l, t, "Hungup");
  e.add("cause", std::to_string(cause)).add("cause_text", text).add("hungup_by", by);
  return e;
}

Event dial(const char* type, const Leg& caller, const Leg* peer, uint64_t t, const char* status = nullptr) {
  Event e;
  e.type = type;
  e.time_us = t;
  e.add("channel", caller.name).add("uniqueid", caller.uid);
  if (peer) e.add("peer_channel", peer->name).add("peer_uniqueid", peer->uid);
  if (status) e.add("dialstatus", status);
  return e;
}

std::vector<FinishedCall> feed_all(CdrBuilder& b, const std::vector<Event>& events) {
  std::vector<FinishedCall> out;
  for (auto& e : events)
    for (auto& f : b.feed(e)) out.push_back(std::move(f));
  return out;
}

const Leg kA{"SIP/101-00000001", "zvon-1-1", "in", "702"};
const Leg kB{"SIP/102-00000002", "zvon-1-2", "out", "102"};
constexpr uint64_t s = 1'000'000;

}  // namespace

TEST_CASE("an answered Dial call gives one record linking both legs", "[cdr]") {
  CdrBuilder b("acme");
  auto done = feed_all(b, {
      chan("ChannelCreated", kA, kT0, "Down"),
      chan("ChannelCreated", kB, kT0 + s / 10, "Down"),
      dial("DialBegin", kA, &kB, kT0 + s / 10),
      chan("ChannelState", kB, kT0 + 2 * s, "Up"),
      dial("DialAnswer", kA, &kB, kT0 + 2 * s),
      chan("ChannelState", kA, kT0 + 2 * s, "Up"),
      hangup("ChannelHangup", kA, kT0 + 12 * s, 16, "NORMAL_CLEARING", "remote"),
      dial("DialEnd", kA, nullptr, kT0 + 12 * s, "ANSWER"),
      hangup("ChannelHangup", kB, kT0 + 12 * s, 16, "NORMAL_CLEARING", "local"),
      hangup("ChannelDestroyed", kB, kT0 + 12 * s, 16, "NORMAL_CLEARING", "local"),
  });
  CHECK(done.empty());  // the caller's channel is still there
  CHECK(b.open_calls() == 1);
  done = feed_all(b, {hangup("ChannelDestroyed", kA, kT0 + 12 * s, 16, "NORMAL_CLEARING", "remote")});
  REQUIRE(done.size() == 1);
  CHECK(b.open_calls() == 0);
  const CdrRecord& r = done[0].cdr;
  CHECK(r.id == kA.uid);
  CHECK(r.linkedid == kA.uid);
  CHECK(r.tenant == "acme");
  CHECK(r.caller == "101");
  CHECK(r.dialed == "702");
  CHECK(r.callee == "102");
  CHECK(r.context == "internal");
  CHECK(r.channel == kA.name);
  CHECK(r.dstchannel == kB.name);
  CHECK(r.disposition == "ANSWERED");
  CHECK(r.duration == 12);
  CHECK(r.billsec == 10);
  CHECK(r.hangup_side == "caller");
  CHECK(r.dial_status == "ANSWER");
  CHECK(r.hangup_cause == 16);
  // Every event of both legs, in order, numbered per channel, carrying the call's linked id.
  REQUIRE(done[0].events.size() == 11);
  for (auto& ev : done[0].events) CHECK(ev.linkedid == kA.uid);
  CHECK(done[0].events.front().id == kA.uid + ":1");
  CHECK(done[0].events[1].id == kB.uid + ":1");
  CHECK(done[0].events.back().type == "ChannelDestroyed");
}

TEST_CASE("a call recorded by MixMonitor names its file in the record", "[cdr]") {
  CdrBuilder b("acme");
  Event started;
  started.type = "MixMonitorStart";
  started.time_us = kT0 + s;
  started.add("channel", kA.name).add("uniqueid", kA.uid).add("file", "/var/zvon/recordings/call-1.wav");
  auto done = feed_all(b, {
      chan("ChannelCreated", kA, kT0, "Down"),
      chan("ChannelState", kA, kT0 + s / 2, "Up"),
      started,
      hangup("ChannelHangup", kA, kT0 + 5 * s, 16, "NORMAL_CLEARING", "remote"),
      hangup("ChannelDestroyed", kA, kT0 + 5 * s, 16, "NORMAL_CLEARING", "remote"),
  });
  REQUIRE(done.size() == 1);
  CHECK(done[0].cdr.recording == "/var/zvon/recordings/call-1.wav");
  CHECK(to_json(done[0].cdr).find("\"recording\":\"/var/zvon/recordings/call-1.wav\"") != std::string::npos);
}

TEST_CASE("dispositions follow Dial's verdict, then the caller's hangup", "[cdr]") {
  struct Case {
    const char* dialstatus;
    int cause;
    const char* peer_by;
    const char* caller_by;
    const char* disposition;
    const char* side;
  };
  auto c = GENERATE(Case{"BUSY", 17, "remote", "local", "BUSY", "callee"},
                    Case{"NOANSWER", 19, "local", "local", "NO ANSWER", "system"},
                    Case{"CANCEL", 16, "local", "remote", "CANCELLED", "caller"},
                    Case{"CHANUNAVAIL", 20, "local", "local", "FAILED", "system"},
                    Case{"CONGESTION", 34, "remote", "local", "FAILED", "callee"});
  CdrBuilder b("default");
  auto done = feed_all(b, {
      chan("ChannelCreated", kA, kT0, "Down"),
      chan("ChannelCreated", kB, kT0, "Down"),
      dial("DialBegin", kA, &kB, kT0),
      hangup("ChannelHangup", kB, kT0 + 3 * s, c.cause, "X", c.peer_by),
      hangup("ChannelDestroyed", kB, kT0 + 3 * s, c.cause, "X", c.peer_by),
      dial("DialEnd", kA, nullptr, kT0 + 3 * s, c.dialstatus),
      hangup("ChannelHangup", kA, kT0 + 4 * s, c.cause, "X", c.caller_by),
      hangup("ChannelDestroyed", kA, kT0 + 4 * s, c.cause, "X", c.caller_by),
  });
  REQUIRE(done.size() == 1);
  INFO(c.dialstatus);
  CHECK(done[0].cdr.disposition == c.disposition);
  CHECK(done[0].cdr.hangup_side == c.side);
  CHECK(done[0].cdr.answer_us == 0);
  CHECK(done[0].cdr.billsec == 0);
  CHECK(done[0].cdr.duration == 4);
}

TEST_CASE("a call without Dial: answered by the dialplan, or refused", "[cdr]") {
  Leg a{"SIP/101-00000009", "zvon-9", "in", "999"};
  CdrBuilder b("default");
  auto done = feed_all(b, {
      chan("ChannelCreated", a, kT0, "Down"),
      hangup("ChannelHangup", a, kT0, 1, "UNALLOCATED", "local"),
      hangup("ChannelDestroyed", a, kT0, 1, "UNALLOCATED", "local"),
  });
  REQUIRE(done.size() == 1);
  CHECK(done[0].cdr.disposition == "FAILED");
  CHECK(done[0].cdr.hangup_side == "system");
  CHECK(done[0].cdr.dstchannel.empty());
  CHECK(done[0].cdr.callee == "999");

  Leg c{"SIP/101-0000000a", "zvon-10", "in", "700"};
  done = feed_all(b, {
      chan("ChannelCreated", c, kT0, "Down"),
      chan("ChannelState", c, kT0 + s, "Up"),
      hangup("ChannelHangup", c, kT0 + 5 * s, 16, "NORMAL_CLEARING", "local"),
      hangup("ChannelDestroyed", c, kT0 + 5 * s, 16, "NORMAL_CLEARING", "local"),
  });
  REQUIRE(done.size() == 1);
  CHECK(done[0].cdr.disposition == "ANSWERED");
  CHECK(done[0].cdr.billsec == 4);
  CHECK(done[0].cdr.hangup_side == "system");
}

TEST_CASE("events of channels never created, and DTMF, are placed or ignored", "[cdr]") {
  CdrBuilder b("default");
  Event stray = dial("DialBegin", kA, &kB, kT0);
  CHECK(b.feed(stray).empty());
  CHECK(b.open_calls() == 0);
  Event lone_dtmf;
  lone_dtmf.type = "DTMF";
  lone_dtmf.add("channel", "SIP/nobody").add("digit", "5");
  CHECK(b.feed(lone_dtmf).empty());
  CHECK(b.open_calls() == 0);

  feed_all(b, {chan("ChannelCreated", kA, kT0, "Down")});
  Event dtmf;
  dtmf.type = "DTMF";
  dtmf.time_us = kT0 + s;
  dtmf.add("channel", kA.name).add("digit", "7");
  b.feed(dtmf);
  auto done = feed_all(b, {hangup("ChannelDestroyed", kA, kT0 + 2 * s, 16, "NORMAL_CLEARING", "remote")});
  REQUIRE(done.size() == 1);
  REQUIRE(done[0].events.size() == 3);
  CHECK(done[0].events[1].type == "DTMF");
  CHECK(done[0].events[1].uniqueid == kA.uid);
  // Destroyed without a hangup event first: the destroy's time ends the call.
  CHECK(done[0].cdr.duration == 2);
  CHECK(done[0].cdr.hangup_side == "caller");
}

TEST_CASE("records become JSON the database reads, whatever the text holds", "[cdr]") {
  CHECK(pg::json_string("a\"b\\c\n\x01") == "\"a\\\"b\\\\c\\n\\u0001\"");
  CHECK(pg::json_string("Иван") == "\"Иван\"");
  CHECK(iso_time(kT0 + 123456) == "2026-11-30T00:53:20.123456Z");
  CdrRecord r;
  r.id = "x";
  r.caller_name = "Alice \"A\"";
  r.disposition = "NO ANSWER";
  r.start_us = r.end_us = kT0;
  std::string j = to_json(r);
  CHECK(j.find("\"caller_name\":\"Alice \\\"A\\\"\"") != std::string::npos);
  CHECK(j.find("\"answer_time\":null") != std::string::npos);
  CHECK(j.find("\"recording\":null") != std::string::npos);
  CHECK(j.front() == '{');
  CHECK(j.back() == '}');
}
