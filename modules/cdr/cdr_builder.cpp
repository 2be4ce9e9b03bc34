#include "cdr_builder.h"

#include <algorithm>
#include <cstdio>
#include <ctime>

#include "json_string.h"

namespace zvon::cdr {

using pg::json_string;

namespace {

std::string field(const Event& e, std::string_view key) {
  const std::string* v = e.get(key);
  return v ? *v : std::string();
}

}  // namespace

CdrBuilder::Leg& CdrBuilder::leg_for(const std::string& uniqueid, const Event& e) {
  auto [it, fresh] = legs_.try_emplace(uniqueid);
  Leg& leg = it->second;
  if (fresh) {
    leg.uniqueid = uniqueid;
    leg.created_us = e.time_us;
    linked_[uniqueid] = uniqueid;
    Call& call = calls_[uniqueid];
    call.linkedid = uniqueid;
    call.legs.push_back(uniqueid);
  }
  return leg;
}

CdrBuilder::Call& CdrBuilder::call_of(const std::string& uniqueid) { return calls_[linked_[uniqueid]]; }

// The peer's call (so far only itself) joins the caller's: its legs and events move over.
void CdrBuilder::link(const std::string& caller, const std::string& peer) {
  const std::string target = linked_[caller];
  const std::string source = linked_[peer];
  if (target == source) return;
  auto src = calls_.find(source);
  if (src == calls_.end()) return;
  Call moved = std::move(src->second);
  calls_.erase(src);
  Call& dst = calls_[target];
  for (auto& id : moved.legs) {
    linked_[id] = target;
    dst.legs.push_back(id);
  }
  for (auto& ev : moved.events) dst.events.push_back(std::move(ev));
}

std::vector<FinishedCall> CdrBuilder::feed(const Event& e) {
  std::vector<FinishedCall> done;
  std::string uid = field(e, "uniqueid");
  if (uid.empty()) {
    // DTMF names only the channel.
    auto it = by_name_.find(field(e, "channel"));
    if (it == by_name_.end()) return done;
    uid = it->second;
  }
  if (!legs_.count(uid) && e.type != "ChannelCreated" && e.type.rfind("Channel", 0) != 0)
    return done;  // a Dial event for a channel we never saw
  Leg& leg = leg_for(uid, e);
  std::string name = field(e, "channel");
  if (!name.empty() && leg.name.empty()) {
    leg.name = name;
    by_name_[name] = uid;
  }
  if (auto v = field(e, "direction"); !v.empty()) leg.direction = v;
  if (auto v = field(e, "caller"); !v.empty()) leg.caller = v;
  if (auto v = field(e, "caller_name"); !v.empty()) leg.caller_name = v;
  if (auto v = field(e, "dialed"); !v.empty()) leg.dialed = v;
  if (auto v = field(e, "context"); !v.empty()) leg.context = v;

  if (e.type == "ChannelState" && field(e, "state") == "Up" && leg.answered_us == 0) {
    leg.answered_us = e.time_us;
  } else if (e.type == "ChannelHangup" || (e.type == "ChannelDestroyed" && !leg.hung_up)) {
    leg.hung_up = true;
    leg.end_us = e.time_us;
    leg.cause = std::atoi(field(e, "cause").c_str());
    leg.cause_text = field(e, "cause_text");
    leg.hungup_by = field(e, "hungup_by");
  } else if (e.type == "DialBegin") {
    std::string peer = field(e, "peer_uniqueid");
    if (!peer.empty() && legs_.count(peer)) {
      link(uid, peer);
      call_of(uid).last_peer = peer;
    }
  } else if (e.type == "DialAnswer") {
    call_of(uid).answered_peer = field(e, "peer_uniqueid");
  } else if (e.type == "DialEnd") {
    call_of(uid).dial_status = field(e, "dialstatus");
  } else if (e.type == "MixMonitorStart") {
    call_of(uid).recording = field(e, "file");  // any leg's recording is the call's
  }

  EventRecord rec;
  rec.id = uid + ":" + std::to_string(++leg.seq);
  rec.time_us = e.time_us;
  rec.type = e.type;
  rec.uniqueid = uid;
  rec.tenant = tenant_;
  rec.channel = name.empty() ? leg.name : name;
  rec.fields = e.fields;
  Call& call = call_of(uid);
  call.events.push_back(std::move(rec));

  if (e.type == "ChannelDestroyed") {
    leg.destroyed = true;
    bool all_gone = std::all_of(call.legs.begin(), call.legs.end(),
                                [&](const std::string& id) { return legs_[id].destroyed; });
    if (all_gone) {
      std::string key = call.linkedid;
      std::vector<std::string> ids = call.legs;
      done.push_back(finish(call));
      for (auto& id : ids) {
        by_name_.erase(legs_[id].name);
        linked_.erase(id);
        legs_.erase(id);
      }
      calls_.erase(key);
    }
  }
  return done;
}

FinishedCall CdrBuilder::finish(Call& call) {
  FinishedCall f;
  const Leg& a = legs_[call.legs.front()];
  const Leg* answered = call.answered_peer.empty() || !legs_.count(call.answered_peer)
                            ? nullptr : &legs_[call.answered_peer];
  const Leg* last = call.last_peer.empty() || !legs_.count(call.last_peer) ? nullptr : &legs_[call.last_peer];
  const Leg* peer = answered ? answered : last;
  CdrRecord& r = f.cdr;
  r.id = a.uniqueid;
  r.linkedid = call.linkedid;
  r.tenant = tenant_;
  r.caller = a.caller;
  r.caller_name = a.caller_name;
  r.dialed = a.dialed;
  r.callee = peer && !peer->dialed.empty() ? peer->dialed : a.dialed;
  r.context = a.context;
  r.channel = a.name;
  r.dstchannel = peer ? peer->name : "";
  r.start_us = a.created_us;
  r.answer_us = a.answered_us;
  r.end_us = a.end_us ? a.end_us : a.created_us;
  r.duration = int64_t((r.end_us - std::min(r.end_us, r.start_us)) / 1000000);
  r.billsec = r.answer_us ? int64_t((r.end_us - std::min(r.end_us, r.answer_us)) / 1000000) : 0;
  r.hangup_cause = a.cause;
  r.hangup_cause_text = a.cause_text;
  r.dial_status = call.dial_status;
  r.recording = call.recording;

  const std::string& ds = call.dial_status;
  // Dial's verdict first; without a Dial, the caller's own hangup says it.
  if (a.answered_us) r.disposition = "ANSWERED";
  else if (ds == "BUSY") r.disposition = "BUSY";
  else if (ds == "NOANSWER") r.disposition = "NO ANSWER";
  else if (ds == "CANCEL") r.disposition = "CANCELLED";
  else if (!ds.empty()) r.disposition = "FAILED";  // CHANUNAVAIL, CONGESTION
  else if (a.hungup_by == "remote" || a.cause == 127) r.disposition = "CANCELLED";
  else if (a.cause == 17) r.disposition = "BUSY";
  else if (a.cause == 19 || a.cause == 18) r.disposition = "NO ANSWER";
  else r.disposition = "FAILED";

  bool peer_hung_up_first = false;
  for (size_t i = 1; i < call.legs.size(); ++i)
    if (legs_[call.legs[i]].hungup_by == "remote") peer_hung_up_first = true;
  if (a.hungup_by == "remote") r.hangup_side = "caller";
  else if (peer_hung_up_first) r.hangup_side = "callee";
  else r.hangup_side = "system";

  for (auto& ev : call.events) ev.linkedid = call.linkedid;
  f.events = std::move(call.events);
  return f;
}

std::string iso_time(uint64_t time_us) {
  time_t secs = time_t(time_us / 1000000);
  struct tm tm {};
  gmtime_r(&secs, &tm);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%06uZ", tm.tm_year + 1900, tm.tm_mon + 1,
                tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, unsigned(time_us % 1000000));
  return buf;
}

std::string to_json(const CdrRecord& r) {
  std::string o = "{";
  auto add = [&](const char* k, const std::string& json_value) {
    o += '"';
    o += k;
    o += "\":";
    o += json_value;
    o += ',';
  };
  add("id", json_string(r.id));
  add("linkedid", json_string(r.linkedid));
  add("tenant", json_string(r.tenant));
  add("caller", json_string(r.caller));
  add("caller_name", json_string(r.caller_name));
  add("callee", json_string(r.callee));
  add("dialed", json_string(r.dialed));
  add("context", json_string(r.context));
  add("channel", json_string(r.channel));
  add("dstchannel", json_string(r.dstchannel));
  add("start_time", json_string(iso_time(r.start_us)));
  add("answer_time", r.answer_us ? json_string(iso_time(r.answer_us)) : "null");
  add("end_time", json_string(iso_time(r.end_us)));
  add("duration", std::to_string(r.duration));
  add("billsec", std::to_string(r.billsec));
  add("disposition", json_string(r.disposition));
  add("hangup_cause", std::to_string(r.hangup_cause));
  add("hangup_cause_text", json_string(r.hangup_cause_text));
  add("hangup_side", json_string(r.hangup_side));
  add("dial_status", json_string(r.dial_status));
  add("recording", r.recording.empty() ? "null" : json_string(r.recording));
  o.back() = '}';
  return o;
}

std::string to_json(const EventRecord& r) {
  std::string fields = "{";
  for (auto& [k, v] : r.fields) fields += json_string(k) + ":" + json_string(v) + ",";
  if (fields.size() > 1) fields.back() = '}';
  else fields += '}';
  return "{\"id\":" + json_string(r.id) + ",\"time\":" + json_string(iso_time(r.time_us)) +
         ",\"type\":" + json_string(r.type) + ",\"uniqueid\":" + json_string(r.uniqueid) +
         ",\"linkedid\":" + json_string(r.linkedid) + ",\"tenant\":" + json_string(r.tenant) +
         ",\"channel\":" + json_string(r.channel) + ",\"fields\":" + fields + "}";
}

}  // namespace zvon::cdr
