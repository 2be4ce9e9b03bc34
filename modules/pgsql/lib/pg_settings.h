// etc/pgsql.conf: where the database is. An empty `conninfo` means the project's private
// cluster, whose connection string scripts/private-postgres.sh leaves in <data_dir>/pg/conninfo.
#pragma once
#include <chrono>
#include <string>

#include "zvon/core.h"

namespace zvon::pg {

struct Settings {
  std::string conninfo;       // what libpq gets
  std::string source;         // where it came from, for messages: "etc/pgsql.conf" or the file
  size_t pool_size = 2;
  std::chrono::milliseconds reconnect_max{5000};
  // [cdr]
  bool cdr_enabled = true;
  std::string tenant = "default";
  size_t cdr_batch = 200;
  // CDRs waiting in memory for a slow database at most; more go to the journal.
  size_t cdr_queue_max = 2000;
};

// Reads pgsql.conf (a missing file means the defaults). Errors name file:line.
Result<Settings> load_settings(Core& core);

// The conninfo with any password masked, for the console and the log.
std::string masked_conninfo(const std::string& conninfo);

}  // namespace zvon::pg
