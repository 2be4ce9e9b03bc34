#include "sound_cache.h"

namespace zvon {

Result<std::shared_ptr<const Sound>> SoundCache::get(const std::filesystem::path& path) {
  std::error_code ec;
  auto mtime = std::filesystem::last_write_time(path, ec);
  if (ec) return make_error("cannot read sound file " + path.string() + ": " + ec.message());
  auto file_size = std::filesystem::file_size(path, ec);
  if (ec) return make_error("cannot read sound file " + path.string() + ": " + ec.message());
  const std::string key = path.string();
  {
    std::lock_guard lock(mutex_);
    auto it = entries_.find(key);
    if (it != entries_.end() && it->second.mtime == mtime && it->second.file_size == file_size) {
      it->second.last_used = ++clock_;
      return it->second.sound;
    }
  }
  // Read without the lock: other playbacks go on meanwhile. Two first plays of one file may
  // both read it; the second result replaces the first, which lives on in its players.
  auto read = read_sound_file(path, 0);  // the file's own rate: each playback picks its own
  if (!read) return read.error();
  auto sound = std::make_shared<const Sound>(std::move(read.value()));
  std::lock_guard lock(mutex_);
  auto& entry = entries_[key];
  samples_ -= entry.sound ? entry.sound->samples.size() : 0;
  entry = Entry{mtime, file_size, sound, ++clock_};
  samples_ += sound->samples.size();
  evict_locked();
  return std::shared_ptr<const Sound>(sound);
}

void SoundCache::evict_locked() {
  while (samples_ > max_samples_ && entries_.size() > 1) {
    auto oldest = entries_.begin();
    for (auto it = entries_.begin(); it != entries_.end(); ++it)
      if (it->second.last_used < oldest->second.last_used) oldest = it;
    samples_ -= oldest->second.sound->samples.size();
    entries_.erase(oldest);
  }
}

size_t SoundCache::size() const {
  std::lock_guard lock(mutex_);
  return entries_.size();
}

}  // namespace zvon
