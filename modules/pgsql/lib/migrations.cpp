#include "migrations.h"

#include <algorithm>
#include <memory>
#include <set>

#include "zvon/log.h"

namespace zvon::pg {

namespace {

// Under the same advisory lock as the migrations: two modules (or two zvons) connecting at once
// would otherwise race in CREATE TABLE IF NOT EXISTS, which is not safe against itself.
const char* const kBootstrap =
    "SELECT pg_advisory_xact_lock(7314159);"
    "CREATE TABLE IF NOT EXISTS zvon_schema_migrations ("
    " version integer PRIMARY KEY, name text NOT NULL,"
    " applied_at timestamptz NOT NULL DEFAULT now())";
const char* const kApplied = "SELECT version FROM zvon_schema_migrations";

// One simple-protocol query, so the server runs it as one implicit transaction: the
// migration and its record commit together or not at all. The advisory lock keeps two zvons
// from running the same migration at the same moment.
std::string apply_sql(const Migration& m) {
  return cat("SELECT pg_advisory_xact_lock(7314159);\n", m.sql, "\n;INSERT INTO zvon_schema_migrations (version, name) VALUES (",
             m.version, ", '", m.name, "') ON CONFLICT (version) DO NOTHING");
}

std::vector<const Migration*> missing(const PGresult* applied) {
  std::set<int> have;
  for (int i = 0; i < PQntuples(applied); ++i) have.insert(std::atoi(PQgetvalue(applied, i, 0)));
  std::vector<const Migration*> out;
  for (auto& m : migrations())
    if (!have.count(m.version)) out.push_back(&m);
  return out;
}

struct AsyncMigration : std::enable_shared_from_this<AsyncMigration> {
  Pool& pool;
  std::function<void(Result<std::vector<int>>)> done;
  std::vector<const Migration*> todo;
  std::vector<int> applied;

  AsyncMigration(Pool& p, std::function<void(Result<std::vector<int>>)> d) : pool(p), done(std::move(d)) {}

  void run(Query q, std::function<void(ResultPtr)> next) {
    auto self = shared_from_this();
    q.done = [self, next = std::move(next)](Result<ResultPtr> r) {
      if (!r) {
        self->done(make_error(cat("schema migration failed: ", r.message())));
        return;
      }
      next(std::move(*r));
    };
    if (!pool.submit(std::move(q))) done(make_error("schema migration: PostgreSQL is not connected"));
  }

  void start() {
    auto self = shared_from_this();
    run(Query{{}, kBootstrap, {}, {}}, [self](ResultPtr) {
      self->run(Query{{}, kApplied, {}, {}}, [self](ResultPtr r) {
        self->todo = missing(r.get());
        self->next();
      });
    });
  }

  void next() {
    if (todo.empty()) {
      done(std::move(applied));
      return;
    }
    const Migration* m = todo.front();
    todo.erase(todo.begin());
    auto self = shared_from_this();
    run(Query{{}, apply_sql(*m), {}, {}}, [self, m](ResultPtr) {
      self->applied.push_back(m->version);
      self->next();
    });
  }
};

}  // namespace

int latest_version() {
  int v = 0;
  for (auto& m : migrations()) v = std::max(v, m.version);
  return v;
}

void migrate(Pool& pool, std::function<void(Result<std::vector<int>>)> done) {
  std::make_shared<AsyncMigration>(pool, std::move(done))->start();
}

Result<std::vector<int>> migrate_blocking(BlockingConnection& conn) {
  if (auto r = conn.exec(kBootstrap); !r) return make_error(cat("schema migration failed: ", r.message()));
  auto have = conn.exec(kApplied);
  if (!have) return make_error(cat("schema migration failed: ", have.message()));
  std::vector<int> applied;
  for (const Migration* m : missing(have->get())) {
    if (auto r = conn.exec(apply_sql(*m)); !r)
      return make_error(cat("schema migration ", m->version, " (", m->name, ") failed: ", r.message()));
    applied.push_back(m->version);
  }
  return applied;
}

}  // namespace zvon::pg
