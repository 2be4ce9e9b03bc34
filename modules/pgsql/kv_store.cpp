#include "kv_store.h"

#include "json_string.h"
#include "zvon/log.h"

namespace zvon::pg {

namespace {

constexpr std::string_view kLog = "pgsql";
constexpr size_t kOpsPerStatement = 500;
constexpr uint64_t kRetryMs = 1000;
constexpr uint64_t kReloadDelayMs = 100;

// A run of writes and deletes in the order they were made: the last one of each key wins,
// so the table ends as the run of single statements would leave it.
const char* const kWriteStatement = "zvon_kv_write";
const char* const kWriteSql =
    "WITH ops AS (SELECT DISTINCT ON (j->>'f', j->>'k') j->>'f' AS f, j->>'k' AS k, j->>'v' AS v"
    " FROM jsonb_array_elements($1::jsonb) WITH ORDINALITY AS e(j, n) ORDER BY j->>'f', j->>'k', n DESC),"
    " del AS (DELETE FROM kv USING ops WHERE ops.v IS NULL AND kv.family = ops.f AND kv.key = ops.k RETURNING 1),"
    " ins AS (INSERT INTO kv (family, key, value) SELECT f, k, v FROM ops WHERE v IS NOT NULL"
    " ON CONFLICT (family, key) DO UPDATE SET value = EXCLUDED.value RETURNING 1)"
    " SELECT (SELECT count(*) FROM ins), (SELECT count(*) FROM del)";
const char* const kLoadSql = "SELECT family, key, value FROM kv";

// The statement's parameter: journal lines ("{...}" with or without the newline) as one array.
std::string json_array(const std::vector<std::string>& lines, size_t from, size_t to) {
  std::string out = "[";
  for (size_t i = from; i < to; ++i) {
    if (out.size() > 1) out += ',';
    const std::string& l = lines[i];
    out.append(l, 0, l.size() - (!l.empty() && l.back() == '\n' ? 1 : 0));
  }
  out += ']';
  return out;
}

JournalFormat journal_format() {
  JournalFormat f;
  f.log_source = std::string(kLog);
  f.name = "DB() journal";
  f.statement = kWriteStatement;
  f.sql = kWriteSql;
  f.batch = kOpsPerStatement;
  f.ours = [](std::string_view l) { return l.size() > 2 && l.front() == '{' && l.back() == '}'; };
  f.params = [](const std::vector<std::string>& lines, size_t from, size_t to) {
    return std::vector<std::string>{json_array(lines, from, to)};
  };
  f.describe = [](size_t writes, size_t) { return cat(writes, " writes"); };
  return f;
}

}  // namespace

std::string KvStore::Op::line() const {
  return cat("{\"f\":", json_string(family), ",\"k\":", json_string(key),
             ",\"v\":", value ? json_string(*value) : std::string("null"), "}\n");
}

void KvStore::apply(Cache& cache, const Op& op) {
  if (op.value) {
    cache[op.family].insert_or_assign(op.key, *op.value);
    return;
  }
  auto f = cache.find(op.family);
  if (f == cache.end()) return;
  f->second.erase(op.key);
  if (f->second.empty()) cache.erase(f);
}

KvStore::KvStore(Loop& core_loop, std::filesystem::path journal_dir)
    : loop_(core_loop),
      journal_(std::make_unique<JournalReplayer>(
          core_loop, std::move(journal_dir), journal_format(),
          // Reads the table again: it now holds the journal's writes.
          [this] { send(); }, [this](const std::string& e) { last_error_ = e; })),
      alive_(std::make_shared<bool>(true)) {
  uv_timer_init(loop_.uv(), retry_timer_.get());
  retry_timer_.mark_open();
  retry_timer_.get()->data = this;
  uv_timer_init(loop_.uv(), reload_timer_.get());
  reload_timer_.mark_open();
  reload_timer_.get()->data = this;
  if (journal_->backlog())
    log(LogLevel::Notice, kLog, "the journal ", journal_->path().string(),
        " holds DB() writes from before; they go to the database when it is reachable");
}

KvStore::~KvStore() {
  *alive_ = false;
  std::vector<Op> newest;
  {
    std::lock_guard lock(mutex_);
    newest.swap(incoming_);
  }
  detach();  // the older writes first
  to_journal(std::move(newest));
  journal_.reset();  // waits for the queued writes
}

// --- any thread

std::string KvStore::not_loaded_reason() const {
  return cat("the DB() store has not been read from PostgreSQL yet (",
             down_reason_.empty() ? std::string("connecting") : down_reason_, ")");
}

Result<std::optional<std::string>> KvStore::get(std::string_view family, std::string_view key) {
  std::lock_guard lock(mutex_);
  if (!loaded_) return make_error(not_loaded_reason());
  auto f = cache_.find(family);
  if (f == cache_.end()) return std::optional<std::string>();
  auto k = f->second.find(key);
  if (k == f->second.end()) return std::optional<std::string>();
  return std::optional<std::string>(k->second);
}

Result<void> KvStore::put(std::string_view family, std::string_view key, std::string_view value) {
  // PostgreSQL's text cannot hold NUL; refused here, it would stop every later write.
  if (value.find('\0') != std::string_view::npos || key.find('\0') != std::string_view::npos)
    return make_error("a key or value with a NUL character cannot be stored");
  queue(Op{std::string(family), std::string(key), std::string(value)});
  return {};
}

Result<std::optional<std::string>> KvStore::erase(std::string_view family, std::string_view key) {
  std::optional<std::string> old;
  {
    std::lock_guard lock(mutex_);
    auto f = cache_.find(family);
    if (f != cache_.end())
      if (auto k = f->second.find(key); k != f->second.end()) old = k->second;
  }
  // Queued even when the cache has no such key: before the first read it cannot know.
  queue(Op{std::string(family), std::string(key), std::nullopt});
  return old;
}

Result<std::vector<KeyValueEntry>> KvStore::list(std::string_view family) {
  std::lock_guard lock(mutex_);
  if (!loaded_) return make_error(not_loaded_reason());
  std::vector<KeyValueEntry> out;
  for (auto& [fam, keys] : cache_) {
    if (!family.empty() && fam != family) continue;
    for (auto& [k, v] : keys) out.push_back({fam, k, v});
  }
  return out;
}

void KvStore::queue(Op op) {
  bool post = false;
  {
    std::lock_guard lock(mutex_);
    apply(cache_, op);
    incoming_.push_back(std::move(op));
    post = !drain_posted_;
    drain_posted_ = true;
  }
  if (!post) return;
  std::weak_ptr<bool> alive = alive_;
  loop_.post([this, alive] {
    if (auto a = alive.lock(); a && *a) drain();
  });
}

// --- the core loop

std::vector<std::string> KvStore::describe() {
  size_t keys = 0;
  bool loaded;
  {
    std::lock_guard lock(mutex_);
    loaded = loaded_;
    for (auto& [f, k] : cache_) keys += k.size();
  }
  std::string state = !pool_                       ? "no database: writes go to the journal"
                      : journal_->replaying()      ? "replaying the journal"
                      : !journal_->database_ready() ? "PostgreSQL not reachable: writes go to the journal"
                      : journal_->backlog()        ? "the journal waits for replay"
                      : !loaded || loading_ ? "reading the table"
                                        : "live";
  std::vector<std::string> out;
  out.push_back(cat("Store: PostgreSQL table kv (module pgsql), cached in memory: ", keys, " keys",
                    loaded ? "" : " (not read yet)"));
  out.push_back(cat("State: ", state));
  out.push_back(cat("Writes: ", written_, " sent, ", pending_.size() + inflight_.size(), " queued, ",
                    journal_->journaled(), " journaled, ", journal_->replayed(), " replayed"));
  out.push_back(cat("Journal: ", journal_->path().string()));
  out.push_back(cat("Read again after another process's change: ", remote_reloads_, " times"));
  if (!last_error_.empty()) out.push_back(cat("Last error: ", last_error_));
  return out;
}

void KvStore::attach(Pool* pool, std::string why) {
  detach();
  pool_ = pool;
  journal_->set_database(nullptr);
  std::lock_guard lock(mutex_);
  if (!loaded_) down_reason_ = pool_ ? std::string("connecting") : std::move(why);
}

void KvStore::detach() {
  // The old pool's callbacks will not come: what it held goes to the journal.
  std::vector<Op> rest = std::move(inflight_);
  inflight_.clear();
  for (auto& op : pending_) rest.push_back(std::move(op));
  pending_.clear();
  loading_ = false;
  journal_->abandon();  // a replay under way belongs to the old pool
  to_journal(std::move(rest));
}

void KvStore::database_ready() {
  journal_->set_database(pool_);
  need_load_ = true;
  if (journal_->backlog()) journal_->kick();
  else send();
}

void KvStore::database_down(const std::string& why) {
  journal_->set_database(nullptr);
  last_error_ = why;
  std::lock_guard lock(mutex_);
  down_reason_ = why;
}

void KvStore::changed_elsewhere() {
  if (reload_armed_) return;
  reload_armed_ = true;
  uv_timer_start(reload_timer_.get(), [](uv_timer_t* t) {
    auto* self = static_cast<KvStore*>(t->data);
    self->reload_armed_ = false;
    self->remote_reloads_++;
    self->need_load_ = true;
    self->send();
  }, kReloadDelayMs, 0);
}

bool KvStore::live() const { return journal_->live(); }

void KvStore::drain() {
  std::vector<Op> ops;
  {
    std::lock_guard lock(mutex_);
    ops.swap(incoming_);
    drain_posted_ = false;
  }
  if (!live()) {
    to_journal(std::move(ops));
    return;
  }
  for (auto& op : ops) pending_.push_back(std::move(op));
  send();
}

void KvStore::send() {
  if (!live() || loading_ || !inflight_.empty()) return;
  if (need_load_) {
    load();
    return;
  }
  if (pending_.empty()) return;
  size_t n = std::min(pending_.size(), kOpsPerStatement);
  inflight_.assign(std::make_move_iterator(pending_.begin()), std::make_move_iterator(pending_.begin() + long(n)));
  pending_.erase(pending_.begin(), pending_.begin() + long(n));
  std::vector<std::string> lines;
  lines.reserve(n);
  for (auto& op : inflight_) lines.push_back(op.line());
  std::weak_ptr<bool> alive = alive_;
  Query q{kWriteStatement, kWriteSql, {json_array(lines, 0, lines.size())}, nullptr};
  q.done = [this, alive](Result<ResultPtr> r) {
    if (alive.expired() || !*alive.lock()) return;
    std::vector<Op> batch = std::move(inflight_);
    inflight_.clear();
    if (r) {
      written_ += batch.size();
      send();
      return;
    }
    last_error_ = r.message();
    log(LogLevel::Warning, kLog, "writing ", batch.size(), " DB() changes failed (", r.message(),
        "); they go to the journal");
    // The failed batch first, then what waited behind it: the order is kept.
    for (auto& op : pending_) batch.push_back(std::move(op));
    pending_.clear();
    to_journal(std::move(batch));
    retry_later();
  };
  if (!pool_->submit(std::move(q))) {
    std::vector<Op> batch = std::move(inflight_);
    inflight_.clear();
    for (auto& op : pending_) batch.push_back(std::move(op));
    pending_.clear();
    to_journal(std::move(batch));
  }
}

void KvStore::load() {
  loading_ = true;
  std::weak_ptr<bool> alive = alive_;
  Query q{"", kLoadSql, {}, nullptr};
  q.done = [this, alive](Result<ResultPtr> r) {
    if (alive.expired() || !*alive.lock()) return;
    loading_ = false;
    if (!r) {
      // The next time the database comes up reads it again.
      last_error_ = r.message();
      log(LogLevel::Warning, kLog, "reading the DB() store failed: ", r.message());
      retry_later();
      return;
    }
    need_load_ = false;
    Cache fresh;
    PGresult* res = r->get();
    int rows = PQntuples(res);
    for (int i = 0; i < rows; ++i)
      fresh[PQgetvalue(res, i, 0)].insert_or_assign(PQgetvalue(res, i, 1), PQgetvalue(res, i, 2));
    // What was written after the SELECT was sent still holds: it is newer than the table.
    bool first;
    {
      std::lock_guard lock(mutex_);
      for (auto& op : pending_) apply(fresh, op);
      for (auto& op : incoming_) apply(fresh, op);
      cache_ = std::move(fresh);
      first = !loaded_;
      loaded_ = true;
      down_reason_.clear();
    }
    log(first ? LogLevel::Notice : LogLevel::Verbose, kLog, "the DB() store is read from PostgreSQL: ", rows,
        " keys");
    send();
  };
  if (!pool_->submit(std::move(q))) loading_ = false;
}

void KvStore::retry_later() {
  // A statement failed but the pool may still be up (another connection): without a retry
  // nothing would bring the journal back or read the table until the next reconnect.
  uv_timer_start(retry_timer_.get(), [](uv_timer_t* t) {
    auto* self = static_cast<KvStore*>(t->data);
    if (self->journal_->backlog()) self->journal_->kick();
    else self->send();
  }, kRetryMs, 0);
}

void KvStore::to_journal(std::vector<Op> ops) {
  if (ops.empty()) return;
  if (!journal_->backlog())
    log(LogLevel::Notice, kLog, "PostgreSQL is not reachable: DB() writes go to the journal ",
        journal_->path().string());
  std::string lines;
  for (auto& op : ops) lines += op.line();
  journal_->append(std::move(lines), ops.size());
}

}  // namespace zvon::pg
