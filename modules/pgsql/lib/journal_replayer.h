// Where a module's writes wait while PostgreSQL cannot take them, and how they reach it later
// (the CDR writer's records, the DB() store's changes): a Journal of one line per record,
// replayed in order when the database is ready again, one statement at a time.
//
// - Once anything is journaled, the journal holds the backlog and the owner sends nothing live
//   (`live()` is false) until a replay has emptied it, so the order of writes is kept.
// - A replay takes the journal, sends it in batches of up to `batch` records (with the lines
//   after each that are not records of their own, such as a CDR's events), then removes it.
//   Lines journaled meanwhile are replayed next, before `live()` turns true again.
// - A failed statement stops the replay; the moved-aside file stays and the replay starts over
//   a second later. The write statement must make a batch sent twice harmless (ON CONFLICT
//   DO NOTHING on a record's id; or writes whose last one wins).
//
// Threads: everything, construction and destruction included, on the owner's loop (the core
// loop); no callback runs after the JournalReplayer is gone.
#pragma once
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "journal.h"
#include "pg_pool.h"
#include "zvon/loop.h"

namespace zvon::pg {

struct JournalFormat {
  std::string log_source;  // the module, in log lines
  std::string name;        // "journal", "DB() journal": in log lines
  std::string statement;   // the write statement's name and text
  std::string sql;
  size_t batch = 1;  // records per statement (at least one)
  // Is `line` one of this journal's (else it is damaged or foreign, and skipped)?
  std::function<bool(std::string_view line)> ours;
  // Does `line` count as a record? Null: every line does.
  std::function<bool(std::string_view line)> record;
  // The statement's parameters for lines[from, to).
  std::function<std::vector<std::string>(const std::vector<std::string>& lines, size_t from, size_t to)> params;
  // "12 CDRs and 30 events": what a replay holds, in log lines.
  std::function<std::string(size_t records, size_t others)> describe;
};

class JournalReplayer {
 public:
  // The journal is <dir>/journal.jsonl. `replayed` runs after every replay that reached its
  // end (the owner may send again); `failed` gets every error, for the owner's status.
  JournalReplayer(Loop& loop, std::filesystem::path dir, JournalFormat format, std::function<void()> replayed,
                  std::function<void(const std::string&)> failed);
  ~JournalReplayer();
  JournalReplayer(const JournalReplayer&) = delete;
  JournalReplayer& operator=(const JournalReplayer&) = delete;

  // The pool to replay into once it is up with the schema in place; null while it is not (or
  // there is none). It does not start a replay: kick() does.
  void set_database(Pool* ready);
  // A replay under way is dropped where it is (its pool goes away and will not answer); its
  // file stays and the next replay sends it again.
  void abandon();
  // Appends `lines` (each ending in '\n'): from now on the journal holds a backlog.
  void append(std::string lines, size_t records);
  // Starts a replay if there is a backlog, none is under way and the database is ready.
  void kick();

  bool database_ready() const { return database_ != nullptr; }
  // The database is ready and nothing waits in the journal: writes may go straight to it.
  bool live() const { return database_ && database_->up() && !backlog_ && !replaying_; }
  bool backlog() const { return backlog_; }
  bool replaying() const { return replaying_; }
  uint64_t journaled() const { return journaled_; }  // records
  uint64_t replayed() const { return replayed_; }    // records
  const std::filesystem::path& path() const { return journal_->path(); }

 private:
  void replay(std::shared_ptr<std::vector<std::string>> lines, size_t from, size_t records);

  Loop& loop_;
  JournalFormat format_;
  std::function<void()> replayed_fn_;
  std::function<void(const std::string&)> failed_;
  std::unique_ptr<Journal> journal_;
  std::shared_ptr<bool> alive_;
  UvHandle<uv_timer_t> retry_timer_;
  Pool* database_ = nullptr;
  bool backlog_ = false;
  bool replaying_ = false;
  bool appended_since_take_ = false;
  uint64_t epoch_ = 0;  // which replay a callback belongs to, after abandon()
  uint64_t journaled_ = 0, replayed_ = 0;
};

}  // namespace zvon::pg
