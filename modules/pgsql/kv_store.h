// The DB() key/value store in PostgreSQL's kv table. The dialplan functions are synchronous
// and run on worker loops, so the store answers from a cache in memory: the table is read
// when the database comes up, a write or delete changes the cache at once and goes to
// PostgreSQL behind the call, in order (one statement in flight at a time). While the
// database is away, or the journal still holds writes, they are appended to an fsynced
// journal (<data_dir>/kv/journal.jsonl) and replayed in order when it returns, then the
// table is read again. So no write is lost and no loop waits for the database.
//
// Until the table has been read once, reads fail (the dialplan reports an error rather than
// answer from an empty cache); writes are accepted and kept.
//
// Several zvon processes on one database: each has its own cache. A trigger announces every
// change of the table (NOTIFY zvon_kv, migration 003); a change another process made makes
// this one read the table again (within kReloadDelayMs, coalescing bursts), while its own
// queued writes stay on top. A journal replayed late still overwrites what others wrote
// meanwhile (the last writer wins).
//
// Threads: get/put/erase/list any thread (a mutex guards the cache); everything else,
// construction and destruction included, on the core loop.
#pragma once
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "journal_replayer.h"
#include "pg_pool.h"
#include "zvon/key_value_store.h"
#include "zvon/loop.h"

namespace zvon::pg {

class KvStore final : public KeyValueStore {
 public:
  KvStore(Loop& core_loop, std::filesystem::path journal_dir);
  ~KvStore() override;  // journals what has not reached the database
  KvStore(const KvStore&) = delete;
  KvStore& operator=(const KvStore&) = delete;

  Result<std::optional<std::string>> get(std::string_view family, std::string_view key) override;
  Result<void> put(std::string_view family, std::string_view key, std::string_view value) override;
  Result<std::optional<std::string>> erase(std::string_view family, std::string_view key) override;
  Result<std::vector<KeyValueEntry>> list(std::string_view family) override;
  // The core loop (`db show`).
  std::vector<std::string> describe() override;

  // --- the core loop
  // The pool writes go to from now on (null: no database configured, `why` says what is
  // wrong). What was queued for the previous pool is journaled first.
  void attach(Pool* pool, std::string why);
  // The pool is up and the schema migrated: replay the journal, then read the table.
  void database_ready();
  void database_down(const std::string& why);
  // Another process changed the table: read it again soon.
  void changed_elsewhere();

 private:
  struct Op {
    std::string family, key;
    std::optional<std::string> value;  // nullopt: delete
    std::string line() const;          // a journal line: {"f":..,"k":..,"v":..}\n
  };
  using Family = std::map<std::string, std::string, std::less<>>;
  using Cache = std::map<std::string, Family, std::less<>>;
  static void apply(Cache& cache, const Op& op);

  void queue(Op op);  // any thread, mutex_ not held
  void drain();
  bool live() const;
  void send();
  void load();
  void to_journal(std::vector<Op> ops);
  void detach();
  void retry_later();
  std::string not_loaded_reason() const;  // mutex_ held

  Loop& loop_;
  std::unique_ptr<JournalReplayer> journal_;
  std::shared_ptr<bool> alive_;
  UvHandle<uv_timer_t> retry_timer_;
  UvHandle<uv_timer_t> reload_timer_;
  bool reload_armed_ = false;
  uint64_t remote_reloads_ = 0;

  mutable std::mutex mutex_;  // guards the cache and what worker threads hand over
  Cache cache_;
  bool loaded_ = false;
  std::vector<Op> incoming_;
  bool drain_posted_ = false;
  std::string down_reason_;  // why the table has not been read, for reads that fail

  // The core loop's.
  Pool* pool_ = nullptr;
  bool need_load_ = false;
  bool loading_ = false;
  std::vector<Op> pending_;
  std::vector<Op> inflight_;
  uint64_t written_ = 0;
  std::string last_error_;
};

}  // namespace zvon::pg
