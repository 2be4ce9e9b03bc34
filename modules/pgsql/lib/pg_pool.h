// A small pool of libpq connections driven asynchronously from one loop: each connection's
// socket is watched with uv_poll (PQsocket), connecting uses PQconnectStart/PQconnectPoll and
// queries PQsendQuery*, so the loop never waits for the server. A lost connection is retried
// with exponential backoff; the statements given in the options are prepared on every new
// connection before it takes queries.
//
// Threads: everything, construction and destruction included, on the loop given to the
// constructor (zvon's core loop).
#pragma once
#include <libpq-fe.h>

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "zvon/loop.h"
#include "zvon/result.h"

namespace zvon::pg {

struct ResultDeleter {
  void operator()(PGresult* r) const { PQclear(r); }
};
using ResultPtr = std::unique_ptr<PGresult, ResultDeleter>;

struct PreparedStatement {
  std::string name;
  std::string sql;
};

struct Query {
  // With `prepared`: the statement's name; each connection prepares `sql` under that name
  // the first time it runs it (so statements may name tables a migration creates later).
  // Without: SQL text, one statement with params, or several separated by ';' without
  // (run as one implicit transaction).
  std::string prepared;
  std::string sql;
  std::vector<std::string> params;
  // Called once on the loop with the last result, or the error. Not called when the pool is
  // destroyed first.
  std::function<void(Result<ResultPtr>)> done;
};

struct PoolOptions {
  std::string conninfo;
  size_t size = 2;
  std::vector<PreparedStatement> statements;
  std::chrono::milliseconds reconnect_min{250};
  std::chrono::milliseconds reconnect_max{5000};
  std::chrono::milliseconds connect_timeout{5000};
  // Who logs: the module's name.
  std::string log_source = "pgsql";
  // A channel every connection LISTENs to once connected (empty: none); what arrives on it
  // goes to Pool::on_notify.
  std::string listen;
};

struct ConnectionStatus {
  std::string state;  // "connecting", "ready", "busy", "down"
  std::string server; // "host:port" once known
  uint64_t queries = 0;
  uint64_t failures = 0;
  uint64_t connects = 0;
  std::string last_error;
};

struct PoolStatus {
  std::vector<ConnectionStatus> connections;
  size_t queued = 0;
  size_t ready = 0;
  std::string last_error;
};

class Pool {
 public:
  Pool(Loop& loop, PoolOptions options);
  ~Pool();
  Pool(const Pool&) = delete;
  Pool& operator=(const Pool&) = delete;

  // Connects every connection (in the background).
  void start();
  // Queues `q` for the next free connection. False (and `q.done` not called) when no
  // connection is up: the caller decides what to do without a database.
  bool submit(Query q);
  // Called when the first connection becomes ready after none was, and when the last goes.
  void on_up(std::function<void()> fn) { on_up_ = std::move(fn); }
  void on_down(std::function<void(const std::string&)> fn) { on_down_ = std::move(fn); }
  // A notification on options().listen, with the server process that sent it and whether
  // that was one of this pool's own connections.
  void on_notify(std::function<void(const std::string& payload, bool own)> fn) { on_notify_ = std::move(fn); }

  bool up() const { return ready_count() > 0; }
  size_t ready_count() const;
  PoolStatus status() const;
  const PoolOptions& options() const { return options_; }

  struct Conn;  // one connection's state machine (pg_pool.cpp)

 private:
  friend struct Conn;
  void dispatch();
  void conn_ready(Conn& c);
  void conn_lost(Conn& c, const std::string& why);
  void notified(const std::string& payload, int backend_pid);

  Loop& loop_;
  PoolOptions options_;
  std::vector<std::unique_ptr<Conn>> conns_;
  std::deque<Query> queue_;
  std::function<void()> on_up_;
  std::function<void(const std::string&)> on_down_;
  std::function<void(const std::string&, bool)> on_notify_;
  bool was_up_ = false;
  std::string last_error_;
  std::string logged_error_;
};

// A blocking helper for console commands (`db migrate`): connect, run, disconnect. It blocks
// the calling thread for at most the connect timeout in the conninfo plus the statement time.
class BlockingConnection {
 public:
  static Result<BlockingConnection> open(const std::string& conninfo);
  Result<ResultPtr> exec(const std::string& sql, const std::vector<std::string>& params = {});

 private:
  struct Finish {
    void operator()(PGconn* c) const { PQfinish(c); }
  };
  std::unique_ptr<PGconn, Finish> conn_;
};

// "host:port" of a connected PGconn.
std::string server_of(PGconn* c);
// The message of a failed result or connection, one line.
std::string error_text(const PGresult* r, PGconn* c);

}  // namespace zvon::pg
