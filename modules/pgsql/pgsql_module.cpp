// The pgsql module: the connection to PostgreSQL (etc/pgsql.conf, or the private cluster),
// the schema migrations at start and on `db migrate`, `pgsql show status`, and the DB()
// key/value store in the kv table (kv_store.h).
// Everything runs on the core loop; the pool never blocks it. `db migrate` blocks the core
// loop for the time of its statements, as console commands may.
#include <memory>
#include <sstream>

#include "kv_store.h"
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
  explicit PgsqlModule(Core& core)
      : core_(core),
        alive_(std::make_shared<bool>(true)),
        kv_(std::make_unique<pg::KvStore>(core.loops().core(), core.paths().data_dir / "kv")) {}
  ~PgsqlModule() override {
    registrations.clear();  // no new DB() use finds the store while it goes
    *alive_ = false;
    kv_->attach(nullptr, "the pgsql module is unloaded");  // journals what is queued
    pool_.reset();
  }

  pg::KvStore& kv() { return *kv_; }

  Result<void> configure() {
    auto s = pg::load_settings(core_);
    if (!s) {
      settings_error_ = s.message();
      log(LogLevel::Warning, kLog, settings_error_, "; running without a database");
      kv_->attach(nullptr, settings_error_);
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
    o.listen = "zvon_kv";
    kv_->attach(nullptr, "connecting");  // what the old pool held is journaled
    pool_ = std::make_unique<pg::Pool>(core_.loops().core(), std::move(o));
    kv_->attach(pool_.get(), "");
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
        kv_->database_ready();
      });
    });
    pool_->on_down([this](const std::string& why) { kv_->database_down(why); });
    pool_->on_notify([this](const std::string&, bool own) {
      if (!own) kv_->changed_elsewhere();
    });
    pool_->start();
  }

  Core& core_;
  std::shared_ptr<bool> alive_;
  pg::Settings settings_;
  std::string settings_error_;
  int schema_version_ = -1;
  std::unique_ptr<pg::KvStore> kv_;  // before pool_: the pool goes first
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
  for (auto& c : commands) {
    auto r = ctx.add_command(std::move(c));
    if (!r) return r.error();
    m->registrations.push_back(std::move(*r));
  }
  auto kv = ctx.add_key_value_store(m->kv());
  if (!kv) return kv.error();
  m->registrations.push_back(std::move(*kv));
  return std::unique_ptr<Module>(std::move(m));
}

}  // namespace
}  // namespace zvon

ZVON_MODULE("pgsql", "PostgreSQL connections and schema migrations", "", zvon::load)
