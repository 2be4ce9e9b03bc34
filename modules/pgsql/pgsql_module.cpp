// The pgsql module: the connection to PostgreSQL (etc/pgsql.conf, or the private cluster),
// the schema migrations at start and on `db migrate`, and `pgsql show status`.
// Everything runs on the core loop; the pool never blocks it. `db migrate` and `db show`
// block the core loop for the time of their statements, as console commands may.
#include <memory>
#include <sstream>

#include "migrations.h"
#include "pg_pool.h"
#include "pg_settings.h"
#include "zvon/core.h"
#include "zvon/log.h"

namespace zvon {
namespace {

constexpr std::string_view kLog = "pgsql";

class PgsqlModule final : public Module {
 public:
  explicit PgsqlModule(Core& core) : core_(core), alive_(std::make_shared<bool>(true)) {}
  ~PgsqlModule() override { *alive_ = false; }

  Result<void> configure() {
    auto s = pg::load_settings(core_);
    if (!s) {
      settings_error_ = s.message();
      log(LogLevel::Warning, kLog, settings_error_, "; running without a database");
      pool_.reset();
      return {};
    }
    settings_error_.clear();
    settings_ = *s;
    start_pool();
    return {};
  }

  Result<void> reload() override {
    auto s = pg::load_settings(core_);
    if (!s) return s.error();
    bool changed = s->conninfo != settings_.conninfo || s->pool_size != settings_.pool_size ||
                   s->reconnect_max != settings_.reconnect_max || !pool_;
    settings_ = *s;
    settings_error_.clear();
    if (changed) start_pool();
    return {};
  }

  int show_status(CommandOutput& out) {
    if (!pool_) {
      out.line(cat("PostgreSQL: not configured: ", settings_error_));
      return 0;
    }
    auto st = pool_->status();
    out.line(cat("PostgreSQL: ", st.ready > 0 ? "connected" : "not connected", " (",
                 st.ready, " of ", st.connections.size(), " connections ready)"));
    out.line(cat("Server: ", pg::masked_conninfo(settings_.conninfo), "  [from ", settings_.source, "]"));
    out.line(cat("Schema: version ", schema_version_ < 0 ? std::string("unknown") : std::to_string(schema_version_),
                 " (this build knows ", pg::latest_version(), ")"));
    if (!st.last_error.empty()) out.line(cat("Last error: ", st.last_error));
    out.line(cat("Queued: ", st.queued));
    int i = 0;
    for (auto& c : st.connections) {
      out.line(cat("  #", i++, " ", c.state, " ", c.server.empty() ? "-" : c.server, " queries=", c.queries,
                   " failed=", c.failures, " connects=", c.connects,
                   c.last_error.empty() ? "" : " last error: ", c.last_error));
    }
    return 0;
  }

  int migrate_now(CommandOutput& out) {
    if (!pool_) {
      out.line(cat("db migrate: no database: ", settings_error_));
      return 1;
    }
    auto conn = pg::BlockingConnection::open(settings_.conninfo);
    if (!conn) {
      out.line(cat("db migrate: ", conn.message()));
      return 1;
    }
    auto applied = pg::migrate_blocking(*conn);
    if (!applied) {
      out.line(cat("db migrate: ", applied.message()));
      return 1;
    }
    schema_version_ = pg::latest_version();
    if (applied->empty()) out.line(cat("Schema is up to date (version ", schema_version_, ")"));
    else out.line(cat("Applied ", versions(*applied), "; schema is at version ", schema_version_));
    return 0;
  }

  int db_show(const std::vector<std::string>& args, CommandOutput& out) {
    if (!pool_) {
      out.line(cat("db show: no database: ", settings_error_));
      return 1;
    }
    auto conn = pg::BlockingConnection::open(settings_.conninfo);
    if (!conn) {
      out.line(cat("db show: ", conn.message()));
      return 1;
    }
    auto r = args.empty() ? conn->exec("SELECT family, key, value FROM kv ORDER BY family, key LIMIT 1000")
                          : conn->exec("SELECT family, key, value FROM kv WHERE family = $1 ORDER BY key LIMIT 1000",
                                       {args[0]});
    if (!r) {
      out.line(cat("db show: ", r.message()));
      return 1;
    }
    PGresult* res = r->get();
    for (int i = 0; i < PQntuples(res); ++i)
      out.line(cat("/", PQgetvalue(res, i, 0), "/", PQgetvalue(res, i, 1), " : ", PQgetvalue(res, i, 2)));
    out.line(cat(PQntuples(res), " result", PQntuples(res) == 1 ? "" : "s", " found."));
    return 0;
  }

  std::vector<Registration> registrations;

 private:
  static std::string versions(const std::vector<int>& v) {
    std::ostringstream s;
    s << (v.size() == 1 ? "migration " : "migrations ");
    for (size_t i = 0; i < v.size(); ++i) s << (i ? ", " : "") << v[i];
    return s.str();
  }

  void start_pool() {
    pg::PoolOptions o;
    o.conninfo = settings_.conninfo;
    o.size = settings_.pool_size;
    o.reconnect_max = settings_.reconnect_max;
    o.log_source = std::string(kLog);
    pool_ = std::make_unique<pg::Pool>(core_.loops().core(), std::move(o));
    schema_version_ = -1;
    pg::Pool* pool = pool_.get();
    std::weak_ptr<bool> alive = alive_;
    pool_->on_up([this, pool, alive] {
      pg::migrate(*pool, [this, alive](Result<std::vector<int>> r) {
        if (alive.expired() || !*alive.lock()) return;
        if (!r) {
          log(LogLevel::Error, kLog, r.message());
          return;
        }
        schema_version_ = pg::latest_version();
        if (!r->empty())
          log(LogLevel::Notice, kLog, "applied schema ", versions(*r), "; schema is at version ", schema_version_);
      });
    });
    pool_->start();
  }

  Core& core_;
  std::shared_ptr<bool> alive_;
  pg::Settings settings_;
  std::string settings_error_;
  int schema_version_ = -1;
  std::unique_ptr<pg::Pool> pool_;
};

Result<std::unique_ptr<Module>> load(ModuleContext& ctx) {
  auto m = std::make_unique<PgsqlModule>(ctx.core());
  if (auto r = m->configure(); !r) return r.error();
  PgsqlModule* self = m.get();
  std::vector<ConsoleCommand> commands;
  commands.push_back({{"pgsql", "show", "status"}, "", "PostgreSQL connections, schema version and errors",
                      [self](const std::vector<std::string>&, CommandOutput& out) { return self->show_status(out); },
                      nullptr});
  commands.push_back({{"db", "migrate"}, "", "Applies the schema migrations this build has and the database lacks",
                      [self](const std::vector<std::string>&, CommandOutput& out) { return self->migrate_now(out); },
                      nullptr});
  commands.push_back({{"db", "show"}, "[family]", "The DB() key/value store, or one family of it",
                      [self](const std::vector<std::string>& args, CommandOutput& out) { return self->db_show(args, out); },
                      nullptr});
  for (auto& c : commands) {
    auto r = ctx.add_command(std::move(c));
    if (!r) return r.error();
    m->registrations.push_back(std::move(*r));
  }
  return std::unique_ptr<Module>(std::move(m));
}

}  // namespace
}  // namespace zvon

ZVON_MODULE("pgsql", "PostgreSQL connections and schema migrations", "", zvon::load)
