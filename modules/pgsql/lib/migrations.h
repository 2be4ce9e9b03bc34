// Versioned schema migrations: modules/pgsql/migrations/NNN_name.sql, compiled in. Each file
// must be idempotent (IF NOT EXISTS ...), so running them twice, or from two zvons at once,
// is harmless; zvon_schema_migrations records which versions were applied.
#pragma once
#include <functional>
#include <string>
#include <vector>

#include "pg_pool.h"

namespace zvon::pg {

struct Migration {
  int version;
  std::string name;
  std::string sql;
};

// Every migration, by version (generated from the .sql files at build time).
const std::vector<Migration>& migrations();
int latest_version();

// Applies the missing migrations through the pool; `done` gets the versions applied now.
// The pool's loop.
void migrate(Pool& pool, std::function<void(Result<std::vector<int>>)> done);

// The same, blocking, for `db migrate` on the console.
Result<std::vector<int>> migrate_blocking(BlockingConnection& conn);

}  // namespace zvon::pg
