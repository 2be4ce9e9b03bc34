#include "cdr_writer.h"

#include <algorithm>

#include "migrations.h"
#include "zvon/log.h"

namespace zvon::cdr {

namespace {

constexpr std::string_view kLog = "cdr";
constexpr size_t kShown = 200;
constexpr uint64_t kFlushDelayMs = 50;

const char* const kWriteStatement = "zvon_cdr_write";
const char* const kWriteSql =
    "WITH c AS (INSERT INTO cdr (id, linkedid, tenant, caller, caller_name, callee, dialed, context,"
    " channel, dstchannel, start_time, answer_time, end_time, duration, billsec, disposition,"
    " hangup_cause, hangup_cause_text, hangup_side, dial_status, recording)"
    " SELECT id, linkedid, tenant, caller, caller_name, callee, dialed, context, channel, dstchannel,"
    " start_time, answer_time, end_time, duration, billsec, disposition, hangup_cause,"
    " hangup_cause_text, hangup_side, dial_status, recording"
    " FROM jsonb_populate_recordset(NULL::cdr, $1::jsonb) ON CONFLICT (id) DO NOTHING RETURNING 1),"
    " e AS (INSERT INTO events (id, time, type, uniqueid, linkedid, tenant, channel, fields)"
    " SELECT id, time, type, uniqueid, linkedid, tenant, channel, fields"
    " FROM jsonb_populate_recordset(NULL::events, $2::jsonb) ON CONFLICT (id) DO NOTHING RETURNING 1)"
    " SELECT (SELECT count(*) FROM c), (SELECT count(*) FROM e)";

// The statement's two JSON array parameters, built from journal-style lines ("C {json}" or
// "E {json}", a trailing newline or not) without copying the lines first.
struct JsonArrays {
  std::string cdrs = "[", events = "[";
  void add(std::string_view line) {
    std::string& out = line[0] == 'C' ? cdrs : events;
    size_t end = line.size() - (line.back() == '\n' ? 1 : 0);
    if (out.size() > 1) out += ',';
    out.append(line.substr(2, end - 2));
  }
  std::vector<std::string> params() && {
    cdrs += ']';
    events += ']';
    std::vector<std::string> p;
    p.push_back(std::move(cdrs));
    p.push_back(std::move(events));
    return p;
  }
};

// The journal holds the lines of JsonArrays: a CDR's, then its events'.
pg::JournalFormat journal_format(size_t batch) {
  pg::JournalFormat f;
  f.log_source = std::string(kLog);
  f.name = "journal";
  f.statement = kWriteStatement;
  f.sql = kWriteSql;
  // [cdr] batch counts records per statement in a replay as in a live batch.
  f.batch = batch;
  f.ours = [](std::string_view l) {
    return l.size() > 3 && (l[0] == 'C' || l[0] == 'E') && l[1] == ' ' && l[2] == '{' && l.back() == '}';
  };
  f.record = [](std::string_view l) { return l[0] == 'C'; };
  f.params = [](const std::vector<std::string>& lines, size_t from, size_t to) {
    JsonArrays json;
    for (size_t i = from; i < to; ++i) json.add(lines[i]);
    return std::move(json).params();
  };
  f.describe = [](size_t cdrs, size_t events) { return cat(cdrs, " CDRs and ", events, " events"); };
  return f;
}

}  // namespace

CdrWriter::CdrWriter(Core& core, std::unique_ptr<pg::Pool> pool, size_t batch, size_t queue_max,
                     std::filesystem::path journal_dir, std::string no_db_reason)
    : core_(core),
      loop_(core.loops().core()),
      pool_(std::move(pool)),
      batch_(batch),
      queue_max_(queue_max),
      no_db_reason_(std::move(no_db_reason)),
      journal_(std::make_unique<pg::JournalReplayer>(
          loop_, std::move(journal_dir), journal_format(batch), [this] { flush(); },
          [this](const std::string& e) { note_error(e); })),
      alive_(std::make_shared<bool>(true)) {
  counters_.journal = journal_->path().string();
  if (journal_->backlog())
    log(LogLevel::Notice, kLog, "the journal ", journal_->path().string(),
        " holds records from before; they go to the database when it is reachable");
  uv_timer_init(loop_.uv(), timer_.get());
  timer_.mark_open();
  timer_.get()->data = this;
  if (!pool_) return;
  std::weak_ptr<bool> alive = alive_;
  pool_->on_up([this, alive] {
    pg::migrate(*pool_, [this, alive](Result<std::vector<int>> r) {
      if (alive.expired()) return;
      if (!r) {
        note_error(r.message());
        return;
      }
      journal_->set_database(pool_.get());
      journal_->kick();
      flush();
    });
  });
  pool_->on_down([this](const std::string& why) {
    journal_->set_database(nullptr);
    note_error(why);
  });
  pool_->start();
}

CdrWriter::~CdrWriter() {
  // What is in memory, or in the air, goes to disk: a record whose insert may have committed
  // is journaled too, and the primary key drops the copy at replay.
  std::vector<Item> rest = std::move(inflight_);
  for (auto& i : take_pending()) rest.push_back(std::move(i));
  if (!rest.empty()) {
    std::string lines;
    for (auto& i : rest) lines += i.line;
    journal_->append(std::move(lines), 0);
  }
  *alive_ = false;
  pool_.reset();
  journal_.reset();  // waits for the queued writes
}

bool CdrWriter::live() const { return journal_->live(); }

void CdrWriter::add(FinishedCall call) {
  counters_.cdrs++;
  counters_.events += call.events.size();
  pending_.push_back({"C " + to_json(call.cdr) + "\n", call.cdr.id});
  for (auto& ev : call.events) pending_.push_back({"E " + to_json(ev) + "\n", {}});
  log(LogLevel::Verbose, kLog, "call ", call.cdr.id, " ", call.cdr.channel, " -> ", call.cdr.callee, ": ",
      call.cdr.disposition, ", ", call.cdr.duration, " s");
  shown_.push_back({std::move(call.cdr), "pending"});
  while (shown_.size() > kShown) shown_.pop_front();
  if (++pending_cdrs_ > queue_max_) {
    // The database is up but slower than the calls: memory is not where records wait.
    log(LogLevel::Notice, kLog, "the database is slow: ", pending_cdrs_,
        " CDRs wait for it, more than [cdr] queue_max; they go to the journal");
    counters_.overflowed += pending_cdrs_;
    to_journal(take_pending());
    journal_->kick();
    return;
  }
  schedule_flush();
}

void CdrWriter::schedule_flush() {
  if (flush_scheduled_) return;
  flush_scheduled_ = true;
  uv_timer_start(timer_.get(), [](uv_timer_t* t) {
    auto* w = static_cast<CdrWriter*>(t->data);
    w->flush_scheduled_ = false;
    w->flush();
  }, kFlushDelayMs, 0);
}

void CdrWriter::mark(const std::vector<Item>& items, std::string_view where) {
  for (auto& i : items) {
    if (i.cdr_id.empty()) continue;
    for (auto it = shown_.rbegin(); it != shown_.rend(); ++it)
      if (it->cdr.id == i.cdr_id) {
        it->stored = std::string(where);
        break;
      }
  }
}

void CdrWriter::note_error(const std::string& e) { counters_.last_error = e; }

void CdrWriter::flush() {
  if (pending_.empty()) return;
  if (!live()) {
    if (!inflight_.empty() && pool_ && pool_->up()) return;  // its outcome decides
    to_journal(take_pending());
    return;
  }
  if (!inflight_.empty()) return;
  // A batch: up to batch_ CDRs with their events.
  size_t n = 0, cdrs = 0;
  while (n < pending_.size()) {
    if (!pending_[n].cdr_id.empty()) {
      if (cdrs == batch_) break;
      ++cdrs;
    }
    ++n;
  }
  inflight_.assign(std::make_move_iterator(pending_.begin()), std::make_move_iterator(pending_.begin() + long(n)));
  pending_.erase(pending_.begin(), pending_.begin() + long(n));
  pending_cdrs_ -= cdrs;
  JsonArrays json;
  for (auto& i : inflight_) json.add(i.line);
  std::weak_ptr<bool> alive = alive_;
  pg::Query q{kWriteStatement, kWriteSql, std::move(json).params(), nullptr};
  q.done = [this, alive, cdrs](Result<pg::ResultPtr> r) {
    if (alive.expired()) return;
    std::vector<Item> batch = std::move(inflight_);
    inflight_.clear();
    if (r) {
      counters_.written += cdrs;
      mark(batch, "database");
    } else {
      log(LogLevel::Warning, kLog, "writing ", cdrs, " CDRs failed (", r.message(), "); they go to the journal");
      note_error(r.message());
      to_journal(std::move(batch));
    }
    flush();
  };
  if (!pool_->submit(std::move(q))) {
    to_journal(std::move(inflight_));
    inflight_.clear();
    flush();
  }
}

std::vector<CdrWriter::Item> CdrWriter::take_pending() {
  std::vector<Item> out = std::move(pending_);
  pending_.clear();
  pending_cdrs_ = 0;
  return out;
}

void CdrWriter::to_journal(std::vector<Item> items) {
  if (items.empty()) return;
  if (!journal_->backlog())
    log(LogLevel::Notice, kLog, "the database is not reachable",
        pool_ ? "" : cat(" (", no_db_reason_, ")"), ": records go to the journal ", journal_->path().string());
  std::string lines;
  size_t cdrs = 0;
  for (auto& i : items) {
    lines += i.line;
    if (!i.cdr_id.empty()) ++cdrs;
  }
  mark(items, "journal");
  journal_->append(std::move(lines), cdrs);
}

WriterStatus CdrWriter::status() const {
  WriterStatus s = counters_;
  s.pending = pending_.size() + inflight_.size();
  s.queue_max = queue_max_;
  s.journaled = journal_->journaled();
  s.replayed = journal_->replayed();
  s.backlog = journal_->backlog();
  if (!pool_) s.mode = "journal (no database: " + no_db_reason_ + ")";
  else if (journal_->replaying()) s.mode = "replaying the journal";
  else if (live()) s.mode = "database";
  else s.mode = "journal";
  return s;
}

std::vector<ShownCdr> CdrWriter::last(size_t n) const {
  std::vector<ShownCdr> out;
  for (auto it = shown_.rbegin(); it != shown_.rend() && out.size() < n; ++it) out.push_back(*it);
  return out;
}

}  // namespace zvon::cdr
