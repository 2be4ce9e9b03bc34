#include "registration_store.h"

#include <cstdlib>

#include "json_string.h"
#include "migrations.h"
#include "pg_pool.h"
#include "pg_settings.h"
#include "zvon/log.h"

namespace zvon::sip {

namespace {
constexpr std::string_view kLog = "chan_sip";

const char* const kUpsert =
    "INSERT INTO sip_registrations (endpoint, contact, expires_at, details)"
    " VALUES ($1, $2, now() + make_interval(secs => $3::int), $4::jsonb)"
    " ON CONFLICT (endpoint, contact) DO UPDATE SET expires_at = EXCLUDED.expires_at,"
    " details = EXCLUDED.details";
const char* const kDelete = "DELETE FROM sip_registrations WHERE endpoint = $1 AND contact = $2";
const char* const kDeleteAll = "DELETE FROM sip_registrations WHERE endpoint = $1";
// Expired rows are dropped here rather than on each expiry: a restarted zvon must not lose a
// binding because the node that knew it went away before its REGISTER refresh.
const char* const kLoad =
    "DELETE FROM sip_registrations WHERE expires_at <= now();"
    "SELECT endpoint, contact, ceil(extract(epoch FROM expires_at - now()))::int,"
    " coalesce(details->>'source', ''), coalesce(details->>'user_agent', ''),"
    " coalesce(details->>'call_id', ''), coalesce(details->>'cseq', '0')"
    " FROM sip_registrations WHERE expires_at > now()";

}  // namespace

struct RegistrationStore::State {
  std::unique_ptr<pg::Pool> pool;
  std::string status = "to be kept in PostgreSQL (connecting)";
  bool restored = false;
};

RegistrationStore::RegistrationStore(Core& core, Registrar& registrar)
    : core_(core), registrar_(registrar), state_(std::make_shared<State>()) {
  auto settings = pg::load_settings(core);
  if (!settings) {
    state_->status = "not kept across restarts: " + settings.message();
    log(LogLevel::Notice, kLog, "registrations are ", state_->status);
    return;
  }
  pg::PoolOptions o;
  o.conninfo = settings->conninfo;
  o.size = 1;  // one connection keeps a phone's updates in order
  o.reconnect_max = settings->reconnect_max;
  o.log_source = std::string(kLog);
  state_->pool = std::make_unique<pg::Pool>(core.loops().core(), std::move(o));
  std::weak_ptr<State> weak = state_;
  state_->pool->on_up([this, weak] {
    auto st = weak.lock();
    if (!st) return;
    // The table may not exist yet on a fresh database; migrations are idempotent.
    pg::migrate(*st->pool, [this, weak](Result<std::vector<int>> r) {
      auto st = weak.lock();
      if (!st) return;
      if (!r) {
        st->status = "not restored: " + r.message();
        return;
      }
      if (!st->restored) restore();
    });
  });
  state_->pool->start();
}

RegistrationStore::~RegistrationStore() = default;

void RegistrationStore::restore() {
  std::weak_ptr<State> weak = state_;
  pg::Query q{{}, kLoad, {}, nullptr};
  q.done = [this, weak](Result<pg::ResultPtr> r) {
    auto st = weak.lock();
    if (!st) return;
    if (!r) {
      st->status = "not restored: " + r.message();
      log(LogLevel::Warning, kLog, "cannot read the stored registrations: ", r.message());
      return;
    }
    st->restored = true;
    PGresult* res = r->get();
    const auto now = Registrar::Clock::now();
    int added = 0;
    for (int i = 0; i < PQntuples(res); ++i) {
      Binding b;
      b.endpoint = PQgetvalue(res, i, 0);
      b.contact = PQgetvalue(res, i, 1);
      int seconds = std::atoi(PQgetvalue(res, i, 2));
      b.source = PQgetvalue(res, i, 3);
      b.user_agent = PQgetvalue(res, i, 4);
      b.call_id = PQgetvalue(res, i, 5);
      b.cseq = uint32_t(std::strtoul(PQgetvalue(res, i, 6), nullptr, 10));
      b.registered_at = now;
      bool known = false;
      for (auto& have : registrar_.bindings(b.endpoint, now)) known = known || have.contact == b.contact;
      if (known || seconds <= 0) continue;  // a REGISTER since the start is newer
      std::string endpoint = b.endpoint, contact = b.contact;
      if (registrar_.update(std::move(b), seconds) == Registrar::Change::Added) {
        ++added;
        log(LogLevel::Verbose, kLog, "endpoint ", endpoint, " restored at ", contact, " for ", seconds, " s");
        Event e;
        e.type = "Registration";
        e.add("endpoint", endpoint).add("contact", contact).add("expires", std::to_string(seconds))
            .add("status", "Restored");
        core_.events().publish(std::move(e));
      }
    }
    st->status = cat("kept in PostgreSQL; ", added, " binding", added == 1 ? "" : "s", " restored at start");
    log(LogLevel::Notice, kLog, "registrations: ", st->status);
  };
  state_->pool->submit(std::move(q));
}

void RegistrationStore::run(std::string sql, std::vector<std::string> params) {
  std::weak_ptr<State> weak = state_;
  core_.loops().core().post([weak, sql = std::move(sql), params = std::move(params)]() mutable {
    auto st = weak.lock();
    if (!st || !st->pool) return;
    pg::Query q{{}, std::move(sql), std::move(params), nullptr};
    q.done = [weak](Result<pg::ResultPtr> r) {
      if (r) return;
      if (auto st = weak.lock()) log(LogLevel::Warning, kLog, "a registration was not stored: ", r.message());
    };
    // Down: this change is lost to the database, the phone's next REGISTER brings it back.
    st->pool->submit(std::move(q));
  });
}

void RegistrationStore::saved(const Binding& b, int expires_seconds) {
  if (!state_->pool) return;
  std::string details = "{\"source\":" + pg::json_string(b.source) +
                        ",\"user_agent\":" + pg::json_string(b.user_agent) +
                        ",\"call_id\":" + pg::json_string(b.call_id) + ",\"cseq\":\"" + std::to_string(b.cseq) + "\"}";
  run(kUpsert, {b.endpoint, b.contact, std::to_string(expires_seconds), std::move(details)});
}

void RegistrationStore::removed(const std::string& endpoint, const std::string& contact) {
  if (!state_->pool) return;
  run(kDelete, {endpoint, contact});
}

void RegistrationStore::removed_all(const std::string& endpoint) {
  if (!state_->pool) return;
  run(kDeleteAll, {endpoint});
}

std::string RegistrationStore::status() const { return state_->status; }

}  // namespace zvon::sip
