// Turns the event bus's channel and Dial events into call detail records: one record per
// call (its first channel, the caller), the outgoing legs Dial made linked to it, and the
// call's events numbered per channel. Pure logic, no I/O: the cdr module feeds it on the core
// loop, the unit tests feed it by hand.
//
// Threads: one thread at a time (the cdr module: the core loop).
#pragma once
#include <cstdint>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "zvon/events.h"

namespace zvon::cdr {

struct CdrRecord {
  std::string id;        // the caller channel's unique id: the idempotency key
  std::string linkedid;  // the same for every leg of the call
  std::string tenant;
  std::string caller, caller_name, callee, dialed, context;
  std::string channel, dstchannel;
  uint64_t start_us = 0, answer_us = 0, end_us = 0;  // answer_us 0: never answered
  int64_t duration = 0, billsec = 0;
  std::string disposition;  // ANSWERED, NO ANSWER, BUSY, FAILED, CANCELLED
  int hangup_cause = 0;
  std::string hangup_cause_text;
  std::string hangup_side;  // caller, callee, system
  std::string dial_status;
  std::string recording;
};

struct EventRecord {
  std::string id;  // <uniqueid>:<sequence>
  uint64_t time_us = 0;
  std::string type, uniqueid, linkedid, tenant, channel;
  std::vector<std::pair<std::string, std::string>> fields;
};

struct FinishedCall {
  CdrRecord cdr;
  std::vector<EventRecord> events;
};

class CdrBuilder {
 public:
  explicit CdrBuilder(std::string tenant) : tenant_(std::move(tenant)) {}
  // Takes one event; returns the calls it finished (their last channel went away).
  std::vector<FinishedCall> feed(const Event& e);
  size_t open_calls() const { return calls_.size(); }

 private:
  struct Leg {
    std::string uniqueid, name, direction, caller, caller_name, dialed, context;
    uint64_t created_us = 0, answered_us = 0, end_us = 0;
    bool hung_up = false, destroyed = false;
    int cause = 0;
    std::string cause_text, hungup_by;
    uint64_t seq = 0;
  };
  struct Call {
    std::string linkedid;
    std::vector<std::string> legs;  // unique ids, the caller first
    std::vector<EventRecord> events;
    std::string dial_status;
    std::string recording;  // the file of the call's MixMonitor (MixMonitorStart)
    std::string answered_peer, last_peer;
  };

  Leg& leg_for(const std::string& uniqueid, const Event& e);
  Call& call_of(const std::string& uniqueid);
  void link(const std::string& caller, const std::string& peer);
  FinishedCall finish(Call& call);

  std::string tenant_;
  std::unordered_map<std::string, Leg> legs_;
  std::unordered_map<std::string, std::string> linked_;  // uniqueid -> its call's linkedid
  std::unordered_map<std::string, std::string> by_name_; // channel name -> uniqueid (DTMF)
  std::unordered_map<std::string, Call> calls_;           // by linkedid
};

// One-line JSON objects whose keys are the cdr / events table's columns.
std::string to_json(const CdrRecord& r);
std::string to_json(const EventRecord& r);
// "2026-11-22T03:20:00.123456Z"
std::string iso_time(uint64_t time_us);

}  // namespace zvon::cdr
