// The append-only journal of what could not reach the database yet (CDRs, DB() writes): one
// line per record,
// written and fdatasync'ed by a thread of its own so the loop never waits for the disk.
// Replay moves the file aside (journal.jsonl -> journal.replay.jsonl) and reads it; only
// after every line is in the database is the moved file removed, so a crash or a lost
// connection during replay repeats it, and the database's primary keys make it exactly once.
//
// Threads: construct, call and destroy on the owner's loop; every `done` runs on that loop,
// never after the Journal is gone. The destructor finishes the queued writes first.
#pragma once
#include <condition_variable>
#include <deque>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "zvon/loop.h"
#include "zvon/result.h"

namespace zvon::pg {

class Journal {
 public:
  // The file is <dir>/journal.jsonl; `log_source` names the module in its error lines.
  Journal(Loop& loop, std::filesystem::path dir, std::string log_source);
  ~Journal();
  Journal(const Journal&) = delete;
  Journal& operator=(const Journal&) = delete;

  // Appends `lines` (each ending in '\n') and syncs them to disk.
  void append(std::string lines, std::function<void(Result<void>)> done);
  // The lines to replay: those moved aside earlier and not yet removed, else the journal
  // moved aside now. Empty when there is nothing.
  void take(std::function<void(Result<std::string>)> done);
  // The taken lines are in the database: forget them.
  void remove_taken(std::function<void(Result<void>)> done);

  // The complete lines of taken content (without their '\n') that `ours` accepts; the rest is
  // not ours or damaged, and skipped.
  static std::vector<std::string> lines_of(const std::string& content,
                                           const std::function<bool(std::string_view)>& ours);

  // Were there records on disk when the journal was opened? (Read at construction.)
  bool had_backlog() const { return had_backlog_; }
  const std::filesystem::path& path() const { return file_; }

 private:
  void run();
  void push(std::function<void()> job);
  void deliver(std::function<void()> fn);
  Result<void> write_now(const std::string& lines);
  Result<std::string> take_now();
  Result<void> remove_now();

  Loop& loop_;
  std::filesystem::path dir_, file_, taken_;
  std::string log_source_;
  bool had_backlog_ = false;
  bool repaired_ = false;  // the thread's: a torn last line was cut before the first append
  std::shared_ptr<bool> alive_;
  std::mutex mutex_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> jobs_;
  bool stopping_ = false;
  std::thread thread_;  // started by the first job (under mutex_)
};

}  // namespace zvon::pg
