// The cdr module: builds a call detail record per call and keeps every channel event, from
// the event bus, and writes them to PostgreSQL (or its journal while the database is away).
// Console: `cdr show last [N]`, `cdr show status`, `cdr reset lag`.
//
// Threads: event bus subscribers run on the publishing thread (the worker loops); they copy
// the event into a queue and wake the core loop, where everything else happens.
#include <mutex>
#include <vector>

#include "cdr_builder.h"
#include "cdr_writer.h"
#include "loop_lag.h"
#include "pg_settings.h"
#include "zvon/core.h"
#include "zvon/log.h"

namespace zvon::cdr {
namespace {

constexpr std::string_view kLog = "cdr";

bool wanted(const Event& e) {
  return e.type.rfind("Channel", 0) == 0 || e.type.rfind("Dial", 0) == 0 || e.type == "DTMF" ||
         e.type == "MixMonitorStart";  // the call's recording
}

std::string local_time(uint64_t us) {
  if (!us) return "-";
  time_t secs = time_t(us / 1000000);
  struct tm tm {};
  gmtime_r(&secs, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S", &tm);
  return buf;
}

class CdrModule final : public Module {
 public:
  CdrModule(Core& core, pg::Settings settings, std::unique_ptr<pg::Pool> pool, std::string no_db_reason)
      : core_(core),
        builder_(settings.tenant),
        writer_(core, std::move(pool), settings.cdr_batch, settings.cdr_queue_max, core.paths().data_dir / "cdr",
                std::move(no_db_reason)),
        lag_(core.loops()) {
    uv_async_init(core.loops().core().uv(), wakeup_.get(), [](uv_async_t* a) {
      static_cast<CdrModule*>(a->data)->drain();
    });
    wakeup_.mark_open();
    wakeup_.get()->data = this;
    subscription_ = core.events().subscribe([this](const Event& e) {
      if (!wanted(e)) return;
      {
        std::lock_guard lock(mutex_);
        if (closed_) return;
        queue_.push_back(e);
      }
      uv_async_send(wakeup_.get());
    });
  }

  ~CdrModule() override {
    subscription_.release();
    {
      std::lock_guard lock(mutex_);
      closed_ = true;
    }
    drain();  // calls that ended just now still get their record
    wakeup_.close();
  }

  void drain() {
    std::vector<Event> events;
    {
      std::lock_guard lock(mutex_);
      events.swap(queue_);
    }
    for (auto& e : events)
      for (auto& call : builder_.feed(e)) writer_.add(std::move(call));
  }

  int show_last(const std::vector<std::string>& args, CommandOutput& out) {
    size_t n = 10;
    if (!args.empty()) {
      char* end = nullptr;
      long v = std::strtol(args[0].c_str(), &end, 10);
      if (*end || v < 1 || v > 200) {
        out.line("cdr show last: N must be a number from 1 to 200");
        return 1;
      }
      n = size_t(v);
    }
    auto rows = writer_.last(n);
    char line[512];
    std::snprintf(line, sizeof line, "%-19s %-22s %-10s %-10s %-10s %5s %5s %-10s %-8s %-7s %s", "Start (UTC)", "Id",
                  "Caller", "Callee", "Dialed", "Dur", "Bill", "Disp", "Side", "Stored", "Cause");
    out.line(line);
    for (auto& r : rows) {
      const CdrRecord& c = r.cdr;
      std::snprintf(line, sizeof line, "%-19s %-22s %-10s %-10s %-10s %5lld %5lld %-10s %-8s %-7s %s",
                    local_time(c.start_us).c_str(), c.id.c_str(), c.caller.c_str(), c.callee.c_str(),
                    c.dialed.c_str(), (long long)c.duration, (long long)c.billsec, c.disposition.c_str(),
                    c.hangup_side.c_str(), r.stored.c_str(), c.hangup_cause_text.c_str());
      out.line(line);
    }
    out.line(cat(rows.size(), " record", rows.size() == 1 ? "" : "s", " shown (of the last 200 kept in memory)"));
    return 0;
  }

  int show_status(CommandOutput& out) {
    auto s = writer_.status();
    out.line(cat("Mode: ", s.mode));
    out.line(cat("CDRs: ", s.cdrs, " finished, ", s.written, " written, ", s.journaled, " journaled, ",
                 s.replayed, " replayed; events: ", s.events));
    out.line(cat("Pending: ", s.pending, "  Open calls: ", builder_.open_calls()));
    out.line(cat("Queue bound: ", s.queue_max, " CDRs in memory; past it to the journal: ", s.overflowed));
    out.line(cat("Journal: ", s.journal, s.backlog ? " (holds records)" : " (empty)"));
    if (!s.last_error.empty()) out.line(cat("Last error: ", s.last_error));
    std::string lag = "Loop lag max:";
    for (auto& l : lag_.max()) lag += cat(" ", l.loop, "=", l.max_us / 1000, ".", (l.max_us % 1000) / 100, "ms");
    out.line(lag);
    return 0;
  }

  void reset_lag() { lag_.reset(); }

  std::vector<Registration> registrations;

 private:
  Core& core_;
  CdrBuilder builder_;
  CdrWriter writer_;
  LoopLag lag_;
  UvHandle<uv_async_t> wakeup_;
  std::mutex mutex_;
  std::vector<Event> queue_;
  bool closed_ = false;
  Registration subscription_;
};

Result<std::unique_ptr<Module>> load(ModuleContext& ctx) {
  Core& core = ctx.core();
  auto settings = pg::load_settings(core);
  std::unique_ptr<pg::Pool> pool;
  std::string no_db;
  pg::Settings s;
  if (!settings) {
    // Calls must go on: the records are journaled until the configuration is fixed.
    no_db = settings.message();
    log(LogLevel::Warning, kLog, no_db, "; CDRs go to the journal");
  } else {
    s = *settings;
    if (!s.cdr_enabled) return make_error("CDRs are disabled in pgsql.conf ([cdr] enabled = no)");
    pg::PoolOptions o;
    o.conninfo = s.conninfo;
    o.size = 1;  // one connection keeps the batches in order
    o.reconnect_max = s.reconnect_max;
    o.log_source = std::string(kLog);
    pool = std::make_unique<pg::Pool>(core.loops().core(), std::move(o));
  }
  auto m = std::make_unique<CdrModule>(core, s, std::move(pool), no_db);
  CdrModule* self = m.get();
  std::vector<ConsoleCommand> commands;
  commands.push_back({{"cdr", "show", "last"}, "[N]", "The last N call detail records (10 by default)",
                      [self](const std::vector<std::string>& a, CommandOutput& out) { return self->show_last(a, out); },
                      nullptr});
  commands.push_back({{"cdr", "show", "status"}, "", "Where the CDRs go, counters, the journal, loop lag",
                      [self](const std::vector<std::string>&, CommandOutput& out) { return self->show_status(out); },
                      nullptr});
  commands.push_back({{"cdr", "reset", "lag"}, "", "Starts measuring the loops' maximum lag afresh",
                      [self](const std::vector<std::string>&, CommandOutput& out) {
                        self->reset_lag();
                        out.line("Loop lag maxima reset");
                        return 0;
                      },
                      nullptr});
  for (auto& c : commands) {
    auto r = ctx.add_command(std::move(c));
    if (!r) return r.error();
    m->registrations.push_back(std::move(*r));
  }
  return std::unique_ptr<Module>(std::move(m));
}

}  // namespace
}  // namespace zvon::cdr

ZVON_MODULE("cdr", "Call detail records and channel events to PostgreSQL, journaled when it is away", "",
            zvon::cdr::load)
