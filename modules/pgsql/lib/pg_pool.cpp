#include "pg_pool.h"

#include <algorithm>
#include <set>

#include "zvon/log.h"

namespace zvon::pg {

std::string server_of(PGconn* c) {
  if (!c) return {};
  const char* host = PQhost(c);
  const char* port = PQport(c);
  return cat(host ? host : "", ":", port ? port : "");
}

std::string error_text(const PGresult* r, PGconn* c) {
  std::string s;
  if (r && PQresultErrorMessage(r) && *PQresultErrorMessage(r)) s = PQresultErrorMessage(r);
  else if (c && PQerrorMessage(c)) s = PQerrorMessage(c);
  // libpq's messages end with a newline and may hold several lines; keep them on one.
  for (char& ch : s)
    if (ch == '\n' || ch == '\r') ch = ' ';
  while (!s.empty() && s.back() == ' ') s.pop_back();
  if (s.empty()) s = "unknown PostgreSQL error";
  return s;
}

namespace {
// libpq prints server notices ("relation ... already exists, skipping" from an idempotent
// migration) on stderr by default, where they would land in the operator's console.
void notice_to_log(void*, const char* message) {
  std::string m = message ? message : "";
  while (!m.empty() && (m.back() == '\n' || m.back() == ' ')) m.pop_back();
  log(LogLevel::Debug, "pgsql", "server notice: ", m);
}
}  // namespace

struct Pool::Conn {
  enum class State { Down, Connecting, Preparing, Ready, Busy };

  Conn(Pool& pool, size_t index) : pool(pool), index(index) {}
  ~Conn() { drop(); }

  Pool& pool;
  size_t index;
  State state = State::Down;
  struct Finish {
    void operator()(PGconn* c) const { PQfinish(c); }
  };
  std::unique_ptr<PGconn, Finish> conn;
  UvHandle<uv_poll_t> poll;
  int polled_fd = -1;
  int poll_events = 0;
  UvHandle<uv_timer_t> timer;  // reconnect backoff and connect timeout
  bool timer_open = false;
  std::chrono::milliseconds backoff{0};
  size_t next_statement = 0;
  Query current;
  ResultPtr last_result;
  std::string result_error;
  ConnectionStatus status;
  std::set<std::string> prepared_here;  // statements prepared lazily on this connection
  bool preparing_for_query = false;
  bool listen_sent = false;  // this connection's LISTEN (options.listen) is sent
  bool listening_step = false;  // the command in flight is that LISTEN

  Loop& loop() { return pool.loop_; }

  void ensure_timer() {
    if (timer_open) return;
    uv_timer_init(loop().uv(), timer.get());
    timer.mark_open();
    timer.get()->data = this;
    timer_open = true;
  }

  void arm_timer(std::chrono::milliseconds ms, void (*cb)(uv_timer_t*)) {
    ensure_timer();
    uv_timer_start(timer.get(), cb, uint64_t(ms.count()), 0);
  }

  void stop_timer() {
    if (timer_open) uv_timer_stop(timer.get());
  }

  // Stops watching and closes the connection.
  void drop() {
    prepared_here.clear();
    preparing_for_query = false;
    listen_sent = false;
    listening_step = false;
    poll.close();
    poll = UvHandle<uv_poll_t>();
    polled_fd = -1;
    poll_events = 0;
    conn.reset();
  }

  void watch(int events) {
    int fd = conn ? PQsocket(conn.get()) : -1;
    if (fd < 0) return;
    if (fd != polled_fd) {
      // libpq may open a new socket while connecting (another address): watch that one.
      poll.close();
      poll = UvHandle<uv_poll_t>();
      if (uv_poll_init_socket(loop().uv(), poll.get(), fd) != 0) {
        fail("cannot watch the PostgreSQL socket");
        return;
      }
      poll.mark_open();
      poll.get()->data = this;
      polled_fd = fd;
      poll_events = 0;
    }
    if (events != poll_events) {
      uv_poll_start(poll.get(), events, &Conn::on_poll);
      poll_events = events;
    }
  }

  void connect() {
    drop();
    state = State::Connecting;
    status.state = "connecting";
    conn.reset(PQconnectStart(pool.options_.conninfo.c_str()));
    if (!conn) {
      fail("out of memory starting a PostgreSQL connection");
      return;
    }
    if (PQstatus(conn.get()) == CONNECTION_BAD) {
      fail(error_text(nullptr, conn.get()));
      return;
    }
    PQsetnonblocking(conn.get(), 1);
    PQsetNoticeProcessor(conn.get(), notice_to_log, nullptr);
    arm_timer(pool.options_.connect_timeout, [](uv_timer_t* t) {
      auto* c = static_cast<Conn*>(t->data);
      if (c->state == State::Connecting || c->state == State::Preparing)
        c->fail(cat("no answer from PostgreSQL within ",
                    c->pool.options_.connect_timeout.count(), " ms"));
      else if (c->state == State::Down)
        c->connect();
    });
    // As the libpq manual says: after PQconnectStart, behave as if polling returned WRITING.
    watch(UV_WRITABLE);
  }

  static void on_poll(uv_poll_t* h, int status, int events) {
    auto* c = static_cast<Conn*>(h->data);
    if (status < 0) {
      c->fail(cat("socket error: ", uv_strerror(status)));
      return;
    }
    c->step(events);
  }

  void step(int events) {
    if (state == State::Connecting) {
      switch (PQconnectPoll(conn.get())) {
        case PGRES_POLLING_READING: watch(UV_READABLE); return;
        case PGRES_POLLING_WRITING: watch(UV_WRITABLE); return;
        case PGRES_POLLING_FAILED: fail(error_text(nullptr, conn.get())); return;
        case PGRES_POLLING_OK:
          status.server = server_of(conn.get());
          state = State::Preparing;
          status.state = "connecting";
          next_statement = 0;
          watch(UV_READABLE);
          prepare_next();
          return;
        default: return;
      }
    }
    if (events & UV_WRITABLE) {
      int f = PQflush(conn.get());
      if (f < 0) {
        fail(error_text(nullptr, conn.get()));
        return;
      }
      watch(f == 1 ? UV_READABLE | UV_WRITABLE : UV_READABLE);
    }
    if (events & UV_READABLE) {
      if (!PQconsumeInput(conn.get())) {
        fail(error_text(nullptr, conn.get()));
        return;
      }
      deliver_notifications();
      collect();
    }
  }

  void deliver_notifications() {
    while (conn) {
      PGnotify* n = PQnotifies(conn.get());
      if (!n) return;
      std::string payload = n->extra ? n->extra : "";
      int pid = n->be_pid;
      PQfreemem(n);
      pool.notified(payload, pid);
    }
  }

  // Reads every result that is complete; a command is finished when PQgetResult gives null.
  void collect() {
    while (conn && !PQisBusy(conn.get())) {
      PGresult* raw = PQgetResult(conn.get());
      if (!raw) {
        if (state == State::Preparing || state == State::Busy) command_done();
        else if (PQstatus(conn.get()) == CONNECTION_BAD) fail(error_text(nullptr, conn.get()));
        return;
      }
      ResultPtr r(raw);
      auto st = PQresultStatus(raw);
      if (st == PGRES_FATAL_ERROR || st == PGRES_NONFATAL_ERROR || st == PGRES_BAD_RESPONSE) {
        if (result_error.empty()) result_error = error_text(raw, conn.get());
      }
      last_result = std::move(r);
    }
    if (conn && PQstatus(conn.get()) == CONNECTION_BAD) fail(error_text(nullptr, conn.get()));
  }

  void prepare_next() {
    if (!pool.options_.listen.empty() && !listen_sent) {
      listen_sent = listening_step = true;
      std::string sql = cat("LISTEN ", pool.options_.listen);
      if (!PQsendQuery(conn.get(), sql.c_str())) {
        fail(error_text(nullptr, conn.get()));
        return;
      }
      flush_after_send();
      return;
    }
    auto& stmts = pool.options_.statements;
    if (next_statement >= stmts.size()) {
      stop_timer();
      state = State::Ready;
      status.state = "ready";
      status.connects++;
      backoff = std::chrono::milliseconds(0);
      pool.conn_ready(*this);
      return;
    }
    const auto& s = stmts[next_statement];
    if (!PQsendPrepare(conn.get(), s.name.c_str(), s.sql.c_str(), 0, nullptr)) {
      fail(error_text(nullptr, conn.get()));
      return;
    }
    flush_after_send();
  }

  void flush_after_send() {
    int f = PQflush(conn.get());
    if (f < 0) {
      fail(error_text(nullptr, conn.get()));
      return;
    }
    watch(f == 1 ? UV_READABLE | UV_WRITABLE : UV_READABLE);
  }

  void command_done() {
    std::string err = std::exchange(result_error, {});
    ResultPtr r = std::move(last_result);
    if (state == State::Preparing && listening_step) {
      listening_step = false;
      if (!err.empty()) {
        fail(cat("cannot LISTEN ", pool.options_.listen, ": ", err));
        return;
      }
      prepare_next();
      return;
    }
    if (state == State::Preparing) {
      if (!err.empty()) {
        fail(cat("cannot prepare statement ", pool.options_.statements[next_statement].name, ": ", err));
        return;
      }
      ++next_statement;
      prepare_next();
      return;
    }
    if (preparing_for_query) {
      preparing_for_query = false;
      if (err.empty()) {
        prepared_here.insert(current.prepared);
        send_current();
        return;
      }
      err = cat("cannot prepare statement ", current.prepared, ": ", err);
    }
    Query q = std::move(current);
    current = Query{};
    state = State::Ready;
    status.state = "ready";
    if (err.empty()) status.queries++;
    else {
      status.failures++;
      status.last_error = err;
    }
    if (q.done) {
      if (err.empty()) q.done(std::move(r));
      else q.done(make_error(err));
    }
    // `this` is still alive: the pool owns connections for its whole life.
    pool.dispatch();
  }

  void send(Query q) {
    last_result.reset();
    result_error.clear();
    current = std::move(q);
    state = State::Busy;
    status.state = "busy";
    if (!current.prepared.empty() && !current.sql.empty() && !prepared_here.count(current.prepared)) {
      preparing_for_query = true;
      if (!PQsendPrepare(conn.get(), current.prepared.c_str(), current.sql.c_str(), 0, nullptr)) {
        fail(error_text(nullptr, conn.get()));
        return;
      }
      flush_after_send();
      return;
    }
    send_current();
  }

  void send_current() {
    last_result.reset();
    result_error.clear();
    std::vector<const char*> values;
    values.reserve(current.params.size());
    for (auto& p : current.params) values.push_back(p.c_str());
    int ok;
    if (!current.prepared.empty())
      ok = PQsendQueryPrepared(conn.get(), current.prepared.c_str(), int(values.size()),
                               values.data(), nullptr, nullptr, 0);
    else if (!current.params.empty())
      ok = PQsendQueryParams(conn.get(), current.sql.c_str(), int(values.size()), nullptr,
                             values.data(), nullptr, nullptr, 0);
    else
      ok = PQsendQuery(conn.get(), current.sql.c_str());
    if (!ok) {
      fail(error_text(nullptr, conn.get()));
      return;
    }
    flush_after_send();
  }

  // The connection is gone (or never came): fail what it was doing, retry after a backoff.
  void fail(const std::string& why) {
    bool was_up = state == State::Ready || state == State::Busy;
    Query q = std::move(current);
    current = Query{};
    last_result.reset();
    result_error.clear();
    drop();
    state = State::Down;
    status.state = "down";
    status.last_error = why;
    auto& o = pool.options_;
    backoff = backoff.count() == 0 ? o.reconnect_min : std::min(backoff * 2, o.reconnect_max);
    arm_timer(backoff, [](uv_timer_t* t) {
      auto* c = static_cast<Conn*>(t->data);
      if (c->state == State::Down) c->connect();
    });
    if (q.done) {
      status.failures++;
      q.done(make_error(cat("PostgreSQL connection lost: ", why)));
    }
    pool.conn_lost(*this, why);
    (void)was_up;
  }
};

Pool::Pool(Loop& loop, PoolOptions options) : loop_(loop), options_(std::move(options)) {
  if (options_.size == 0) options_.size = 1;
  for (size_t i = 0; i < options_.size; ++i) conns_.push_back(std::make_unique<Conn>(*this, i));
}

Pool::~Pool() {
  // No callbacks into owners that are going away.
  on_up_ = nullptr;
  on_down_ = nullptr;
  for (auto& c : conns_) c->current.done = nullptr;
  queue_.clear();
  conns_.clear();
}

void Pool::start() {
  for (auto& c : conns_)
    if (c->state == Conn::State::Down) c->connect();
}

size_t Pool::ready_count() const {
  size_t n = 0;
  for (auto& c : conns_)
    if (c->state == Conn::State::Ready || c->state == Conn::State::Busy) ++n;
  return n;
}

bool Pool::submit(Query q) {
  if (!up()) return false;
  queue_.push_back(std::move(q));
  dispatch();
  return true;
}

void Pool::dispatch() {
  for (auto& c : conns_) {
    if (queue_.empty()) return;
    if (c->state != Conn::State::Ready) continue;
    Query q = std::move(queue_.front());
    queue_.pop_front();
    c->send(std::move(q));
  }
}

void Pool::conn_ready(Conn& c) {
  if (!logged_error_.empty() || !was_up_)
    log(LogLevel::Notice, options_.log_source, "connected to PostgreSQL at ", c.status.server);
  logged_error_.clear();
  last_error_.clear();
  bool first = !was_up_;
  was_up_ = true;
  if (first && on_up_) on_up_();
  dispatch();
}

void Pool::notified(const std::string& payload, int backend_pid) {
  bool own = false;
  for (auto& c : conns_)
    if (c->conn && PQbackendPID(c->conn.get()) == backend_pid) own = true;
  if (on_notify_) on_notify_(payload, own);
}

void Pool::conn_lost(Conn& c, const std::string& why) {
  last_error_ = why;
  // One clear line per distinct problem, not one per retry and connection.
  if (why != logged_error_) {
    log(was_up_ ? LogLevel::Warning : LogLevel::Error, options_.log_source,
        "PostgreSQL is not reachable: ", why, " (retrying in the background)");
    logged_error_ = why;
  }
  if (was_up_ && !up()) {
    was_up_ = false;
    // Queries waiting for a connection have none left to run on.
    std::deque<Query> orphans;
    orphans.swap(queue_);
    if (on_down_) on_down_(why);
    for (auto& q : orphans)
      if (q.done) q.done(make_error(cat("PostgreSQL connection lost: ", why)));
  }
}

PoolStatus Pool::status() const {
  PoolStatus s;
  for (auto& c : conns_) s.connections.push_back(c->status);
  s.queued = queue_.size();
  s.ready = ready_count();
  s.last_error = last_error_;
  return s;
}

Result<BlockingConnection> BlockingConnection::open(const std::string& conninfo) {
  BlockingConnection b;
  b.conn_.reset(PQconnectdb(conninfo.c_str()));
  if (!b.conn_) return make_error("out of memory connecting to PostgreSQL");
  if (PQstatus(b.conn_.get()) != CONNECTION_OK)
    return make_error(cat("cannot connect to PostgreSQL: ", error_text(nullptr, b.conn_.get())));
  PQsetNoticeProcessor(b.conn_.get(), notice_to_log, nullptr);
  return b;
}

Result<ResultPtr> BlockingConnection::exec(const std::string& sql,
                                           const std::vector<std::string>& params) {
  std::vector<const char*> values;
  for (auto& p : params) values.push_back(p.c_str());
  ResultPtr r(params.empty() ? PQexec(conn_.get(), sql.c_str())
                             : PQexecParams(conn_.get(), sql.c_str(), int(values.size()),
                                            nullptr, values.data(), nullptr, nullptr, 0));
  auto st = r ? PQresultStatus(r.get()) : PGRES_FATAL_ERROR;
  if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) return make_error(error_text(r.get(), conn_.get()));
  return r;
}

}  // namespace zvon::pg
