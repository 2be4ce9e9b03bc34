#include "journal_replayer.h"

#include <algorithm>

#include "zvon/log.h"

namespace zvon::pg {

namespace {
constexpr uint64_t kRetryMs = 1000;
}  // namespace

JournalReplayer::JournalReplayer(Loop& loop, std::filesystem::path dir, JournalFormat format,
                                 std::function<void()> replayed, std::function<void(const std::string&)> failed)
    : loop_(loop),
      format_(std::move(format)),
      replayed_fn_(std::move(replayed)),
      failed_(std::move(failed)),
      journal_(std::make_unique<Journal>(loop, std::move(dir), format_.log_source)),
      alive_(std::make_shared<bool>(true)) {
  if (!format_.record) format_.record = [](std::string_view) { return true; };
  format_.batch = std::max<size_t>(format_.batch, 1);
  backlog_ = journal_->had_backlog();
  uv_timer_init(loop_.uv(), retry_timer_.get());
  retry_timer_.mark_open();
  retry_timer_.get()->data = this;
}

JournalReplayer::~JournalReplayer() {
  *alive_ = false;
  journal_.reset();  // waits for the queued writes
}

void JournalReplayer::set_database(Pool* ready) { database_ = ready; }

void JournalReplayer::abandon() {
  replaying_ = false;
  ++epoch_;
}

void JournalReplayer::append(std::string lines, size_t records) {
  backlog_ = true;
  appended_since_take_ = true;
  journaled_ += records;
  journal_->append(std::move(lines), nullptr);
}

void JournalReplayer::kick() {
  if (!database_ || !database_->up() || !backlog_ || replaying_) return;
  replaying_ = true;
  appended_since_take_ = false;
  std::weak_ptr<bool> alive = alive_;
  journal_->take([this, alive, epoch = epoch_](Result<std::string> content) {
    if (alive.expired() || !*alive.lock() || epoch != epoch_) return;
    if (!content) {
      replaying_ = false;
      failed_(content.message());
      return;
    }
    auto lines = std::make_shared<std::vector<std::string>>(Journal::lines_of(*content, format_.ours));
    size_t records = size_t(std::count_if(lines->begin(), lines->end(),
                                          [&](const std::string& l) { return format_.record(l); }));
    log(LogLevel::Notice, format_.log_source, "replaying the ", format_.name, ": ",
        format_.describe(records, lines->size() - records));
    replay(std::move(lines), 0, records);
  });
}

void JournalReplayer::replay(std::shared_ptr<std::vector<std::string>> lines, size_t from, size_t records) {
  std::weak_ptr<bool> alive = alive_;
  if (from >= lines->size()) {
    journal_->remove_taken([this, alive, epoch = epoch_, records, others = lines->size() - records](Result<void> r) {
      if (alive.expired() || !*alive.lock() || epoch != epoch_) return;
      replaying_ = false;
      if (!r) {
        failed_(r.message());
        return;
      }
      replayed_ += records;
      log(LogLevel::Notice, format_.log_source, "the ", format_.name, " is in the database (",
          format_.describe(records, others), ")");
      if (appended_since_take_) kick();
      else backlog_ = false;
      replayed_fn_();
    });
    return;
  }
  if (!database_) {
    replaying_ = false;  // the next set_database() and kick() start over
    return;
  }
  // Up to `batch` records with the lines that follow each (the journal holds a CDR's line
  // before its events'), as in a live batch: a statement is a commit, which is what the
  // database's time goes to.
  size_t to = from, in_batch = 0;
  for (; to < lines->size(); ++to) {
    if (!format_.record((*lines)[to])) continue;
    if (in_batch == format_.batch) break;
    ++in_batch;
  }
  Query q{format_.statement, format_.sql, format_.params(*lines, from, to), nullptr};
  q.done = [this, alive, epoch = epoch_, lines, to, records](Result<ResultPtr> r) {
    if (alive.expired() || !*alive.lock() || epoch != epoch_) return;
    if (!r) {
      // The moved-aside file stays; the next replay starts it over (what is already in the
      // database is written again harmlessly). The pool may still be up (another
      // connection): without a retry nothing would bring the journal back until a reconnect.
      replaying_ = false;
      failed_(r.message());
      log(LogLevel::Warning, format_.log_source, format_.name, " replay stopped: ", r.message());
      uv_timer_start(retry_timer_.get(), [](uv_timer_t* t) { static_cast<JournalReplayer*>(t->data)->kick(); },
                     kRetryMs, 0);
      return;
    }
    replay(lines, to, records);
  };
  if (!database_->submit(std::move(q))) replaying_ = false;
}

}  // namespace zvon::pg
