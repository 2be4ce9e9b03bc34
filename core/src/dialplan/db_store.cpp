#include "dialplan/db_store.h"

#include <unistd.h>

#include "zvon/log.h"

namespace zvon {

namespace {

// Journal lines: "S <key> <value>" or "D <key>", tab-separated, with \t \n \\ escaped, and
// each line ends in '\n' (a line without it was torn by a crash and is ignored).
std::string escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '\\') out += "\\\\";
    else if (c == '\t') out += "\\t";
    else if (c == '\n') out += "\\n";
    else out += c;
  }
  return out;
}

std::string unescape(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\\' && i + 1 < s.size()) {
      char n = s[++i];
      out += n == 't' ? '\t' : n == 'n' ? '\n' : n;
    } else {
      out += s[i];
    }
  }
  return out;
}

}  // namespace

Result<std::unique_ptr<DbStore>> DbStore::open(std::filesystem::path file) {
  std::error_code ec;
  std::filesystem::create_directories(file.parent_path(), ec);
  if (ec) return make_error(cat("cannot create ", file.parent_path().string(), ": ", ec.message()));
  std::unique_ptr<DbStore> store(new DbStore(file));
  size_t lines = 0;
  {
    std::ifstream in(file, std::ios::binary);
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    size_t start = 0;
    while (start < text.size()) {
      size_t nl = text.find('\n', start);
      if (nl == std::string::npos) break;  // torn last line
      std::string_view line(text.data() + start, nl - start);
      start = nl + 1;
      ++lines;
      size_t t1 = line.find('\t');
      if (t1 == std::string_view::npos) continue;
      if (line.substr(0, t1) == "S") {
        size_t t2 = line.find('\t', t1 + 1);
        if (t2 == std::string_view::npos) continue;
        store->data_[unescape(line.substr(t1 + 1, t2 - t1 - 1))] = unescape(line.substr(t2 + 1));
      } else if (line.substr(0, t1) == "D") {
        store->data_.erase(unescape(line.substr(t1 + 1)));
      }
    }
  }
  if (lines > 2 * store->data_.size() + 64 || !std::filesystem::exists(file)) {
    // Compact: the live keys into a temporary file, renamed over the journal in one step.
    auto tmp = file;
    tmp += ".tmp";
    {
      std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
      for (auto& [k, v] : store->data_) out << "S\t" << escape(k) << '\t' << escape(v) << '\n';
      out.flush();
      if (!out) return make_error(cat("cannot write ", tmp.string()));
    }
    std::filesystem::rename(tmp, file, ec);
    if (ec) return make_error(cat("cannot replace ", file.string(), ": ", ec.message()));
  }
  store->out_.open(file, std::ios::binary | std::ios::app);
  if (!store->out_) return make_error(cat("cannot open ", file.string(), " for writing"));
  store->thread_ = std::thread([s = store.get()] { s->writer(); });
  return store;
}

DbStore::~DbStore() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_writer_.notify_one();
  if (thread_.joinable()) thread_.join();
}

std::optional<std::string> DbStore::get(const std::string& key) const {
  std::lock_guard lock(mutex_);
  auto it = data_.find(key);
  if (it == data_.end()) return std::nullopt;
  return it->second;
}

void DbStore::put(const std::string& key, const std::string& value) {
  std::lock_guard lock(mutex_);
  data_[key] = value;
  enqueue("S\t" + escape(key) + '\t' + escape(value) + '\n');
}

std::optional<std::string> DbStore::erase(const std::string& key) {
  std::lock_guard lock(mutex_);
  auto it = data_.find(key);
  if (it == data_.end()) return std::nullopt;
  std::string old = std::move(it->second);
  data_.erase(it);
  enqueue("D\t" + escape(key) + '\n');
  return old;
}

namespace {
std::string joined(std::string_view family, std::string_view key) { return cat(family, "/", key); }
}  // namespace

Result<std::optional<std::string>> DbStore::get(std::string_view family, std::string_view key) {
  return get(joined(family, key));
}

Result<void> DbStore::put(std::string_view family, std::string_view key, std::string_view value) {
  put(joined(family, key), std::string(value));
  return {};
}

Result<std::optional<std::string>> DbStore::erase(std::string_view family, std::string_view key) {
  return erase(joined(family, key));
}

Result<std::vector<KeyValueEntry>> DbStore::list(std::string_view family) {
  std::vector<KeyValueEntry> out;
  std::lock_guard lock(mutex_);
  for (auto& [k, v] : data_) {
    size_t slash = k.find('/');
    if (slash == std::string::npos) continue;
    if (!family.empty() && std::string_view(k).substr(0, slash) != family) continue;
    out.push_back({k.substr(0, slash), k.substr(slash + 1), v});
  }
  return out;
}

std::vector<std::string> DbStore::describe() {
  return {cat("Store: the file ", file_.string(), " (no module provides a key/value store; load pgsql",
              " to keep it in PostgreSQL)"),
          cat("Keys: ", size())};
}

size_t DbStore::size() const {
  std::lock_guard lock(mutex_);
  return data_.size();
}

void DbStore::enqueue(std::string line) {  // mutex_ held
  queue_.push_back(std::move(line));
  ++queued_;
  wake_writer_.notify_one();
}

void DbStore::flush() {
  std::unique_lock lock(mutex_);
  uint64_t target = queued_;
  wrote_.wait(lock, [&] { return written_ >= target; });
}

void DbStore::writer() {
  std::unique_lock lock(mutex_);
  for (;;) {
    wake_writer_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
    if (queue_.empty() && stopping_) return;
    std::deque<std::string> batch;
    batch.swap(queue_);
    lock.unlock();
    for (auto& line : batch) out_ << line;
    out_.flush();
    if (!out_) log(LogLevel::Error, "dialplan", "DB: cannot write ", file_.string());
    lock.lock();
    written_ += batch.size();
    wrote_.notify_all();
  }
}

}  // namespace zvon
