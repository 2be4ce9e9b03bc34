// Gets finished calls to PostgreSQL, or to the journal while it cannot: batches of CDRs and
// events go in one statement whose ON CONFLICT (id) DO NOTHING makes every retry harmless;
// a failed batch, and everything finished while the database is away or the journal still
// holds records, is appended to the journal; when the database is back the journal is
// replayed, then the writer goes live again. So each record reaches the database exactly
// once, in the sense that counts: one row per record id.
//
// Threads: everything on the core loop.
#pragma once
#include <deque>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "cdr_builder.h"
#include "journal_replayer.h"
#include "pg_pool.h"
#include "pg_settings.h"
#include "zvon/core.h"

namespace zvon::cdr {

struct WriterStatus {
  std::string mode;  // "database", "journal", "replaying journal", "no database"
  uint64_t cdrs = 0, events = 0;             // finished so far
  uint64_t written = 0, journaled = 0, replayed = 0;  // CDRs
  size_t pending = 0;
  size_t queue_max = 0;
  uint64_t overflowed = 0;  // CDRs journaled because the in-memory queue was full
  bool backlog = false;
  std::string journal;
  std::string last_error;
};

struct ShownCdr {
  CdrRecord cdr;
  std::string stored;  // "pending", "database", "journal"
};

class CdrWriter {
 public:
  // `pool` may be null (no database configured): everything is journaled.
  // At most `queue_max` CDRs wait in memory for a slow database; beyond, they are journaled.
  CdrWriter(Core& core, std::unique_ptr<pg::Pool> pool, size_t batch, size_t queue_max,
            std::filesystem::path journal_dir, std::string no_db_reason);
  ~CdrWriter();
  CdrWriter(const CdrWriter&) = delete;
  CdrWriter& operator=(const CdrWriter&) = delete;

  void add(FinishedCall call);
  WriterStatus status() const;
  std::vector<ShownCdr> last(size_t n) const;
  pg::Pool* pool() { return pool_.get(); }

 private:
  struct Item {
    std::string line;  // "C {json}\n" or "E {json}\n"
    std::string cdr_id;  // empty for events
  };
  bool live() const;
  void schedule_flush();
  void flush();
  std::vector<Item> take_pending();
  void to_journal(std::vector<Item> items);
  void mark(const std::vector<Item>& items, std::string_view where);
  void note_error(const std::string& e);

  Core& core_;
  Loop& loop_;
  std::unique_ptr<pg::Pool> pool_;
  size_t batch_;
  size_t queue_max_;
  size_t pending_cdrs_ = 0;  // CDRs in pending_
  std::string no_db_reason_;
  std::unique_ptr<pg::JournalReplayer> journal_;
  std::shared_ptr<bool> alive_;
  UvHandle<uv_timer_t> timer_;
  bool flush_scheduled_ = false;

  std::vector<Item> pending_;
  std::vector<Item> inflight_;
  WriterStatus counters_;
  std::deque<ShownCdr> shown_;
};

}  // namespace zvon::cdr
