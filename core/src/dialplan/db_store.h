// The core's own key-value store behind DB(family/key), DB_EXISTS() and DB_DELETE(), used
// when no module provides one (the pgsql module keeps it in PostgreSQL): a map in
// memory, written to an append-only journal (<data_dir>/dialplan-db.journal) by a writer
// thread of its own, so a dialplan never waits for the disk. At open the journal is replayed
// (a torn last line from a crash is ignored) and, when it has grown well past the live keys,
// rewritten compactly into a temporary file that is renamed over it.
// Any thread: a mutex guards the map (DB use is per call step, never per packet).
#pragma once
#include <condition_variable>
#include <deque>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "zvon/key_value_store.h"
#include "zvon/result.h"

namespace zvon {

class DbStore final : public KeyValueStore {
 public:
  // Opens (creating the directory and file when missing) and replays the journal.
  static Result<std::unique_ptr<DbStore>> open(std::filesystem::path file);
  ~DbStore() override;  // writes what is queued, then stops the writer
  DbStore(const DbStore&) = delete;
  DbStore& operator=(const DbStore&) = delete;

  std::optional<std::string> get(const std::string& key) const;
  void put(const std::string& key, const std::string& value);
  // The value it had, if any.
  std::optional<std::string> erase(const std::string& key);
  // KeyValueStore: the same, with the key as family and key.
  Result<std::optional<std::string>> get(std::string_view family, std::string_view key) override;
  Result<void> put(std::string_view family, std::string_view key, std::string_view value) override;
  Result<std::optional<std::string>> erase(std::string_view family, std::string_view key) override;
  Result<std::vector<KeyValueEntry>> list(std::string_view family) override;
  std::vector<std::string> describe() override;

  // Waits until everything written so far is in the file (tests, shutdown).
  void flush();
  size_t size() const;
  const std::filesystem::path& file() const { return file_; }

 private:
  explicit DbStore(std::filesystem::path file) : file_(std::move(file)) {}
  void enqueue(std::string line);
  void writer();

  std::filesystem::path file_;
  mutable std::mutex mutex_;  // guards everything below
  std::map<std::string, std::string> data_;
  std::deque<std::string> queue_;
  bool stopping_ = false;
  uint64_t queued_ = 0, written_ = 0;
  std::condition_variable wake_writer_, wrote_;
  std::ofstream out_;
  std::thread thread_;
};

}  // namespace zvon
