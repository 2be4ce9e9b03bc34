// The store behind the DB(family/key), DB_EXISTS() and DB_DELETE() dialplan functions and
// `db show`. A module may provide it (pgsql keeps it in PostgreSQL); without one the core
// keeps a file of its own under data_dir.
//
// Dialplan functions are synchronous and run on worker loops, so every call here must answer
// from memory at once: a provider keeps a cache and writes behind it. Any thread.
#pragma once
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "zvon/result.h"

namespace zvon {

struct KeyValueEntry {
  std::string family;
  std::string key;
  std::string value;
};

class KeyValueStore {
 public:
  virtual ~KeyValueStore() = default;
  // The value, or nullopt when the key is not set. An error when the store cannot answer
  // (it has not read its data yet): the dialplan reports it rather than guess.
  virtual Result<std::optional<std::string>> get(std::string_view family, std::string_view key) = 0;
  // Stores `value`. The write is durable later (behind the call), never lost.
  virtual Result<void> put(std::string_view family, std::string_view key, std::string_view value) = 0;
  // Removes the key; gives the value it had, if known.
  virtual Result<std::optional<std::string>> erase(std::string_view family, std::string_view key) = 0;
  // The entries of `family` (every family when empty), ordered by family and key.
  virtual Result<std::vector<KeyValueEntry>> list(std::string_view family) = 0;
  // A few lines for `db show`: where the data lives and the state of its writes.
  virtual std::vector<std::string> describe() = 0;
};

}  // namespace zvon
