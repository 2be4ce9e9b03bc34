// Sounds already read, shared by every playback on every loop. A file is read once and kept
// while it stays unchanged on disk (size and modification time); the buffers are immutable.
// Any thread: the threadpool jobs of play_file() use it, once per playback, under its mutex.
#pragma once
#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

#include "sound_file.h"
#include "zvon/result.h"

namespace zvon {

class SoundCache {
 public:
  // Keeps at most this many samples (2 bytes each); the least recently used go first.
  explicit SoundCache(size_t max_samples = 16 * 1024 * 1024) : max_samples_(max_samples) {}

  // The sound at `path` at the file's own rate, read (blocking: the threadpool only) when it
  // is not cached or changed.
  Result<std::shared_ptr<const Sound>> get(const std::filesystem::path& path);

  size_t size() const;  // entries

 private:
  struct Entry {
    std::filesystem::file_time_type mtime;
    uintmax_t file_size = 0;
    std::shared_ptr<const Sound> sound;
    uint64_t last_used = 0;
  };
  void evict_locked();

  const size_t max_samples_;
  mutable std::mutex mutex_;
  std::unordered_map<std::string, Entry> entries_;
  size_t samples_ = 0;
  uint64_t clock_ = 0;
};

}  // namespace zvon
