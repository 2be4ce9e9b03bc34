// Named registries of what modules provide. Lookups pin the owner module. Any thread.
#pragma once
#include <algorithm>
#include <atomic>
#include <cctype>
#include <memory>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "zvon/application.h"
#include "zvon/codec.h"
#include "zvon/hold_music.h"
#include "zvon/key_value_store.h"
#include "zvon/log.h"
#include "zvon/module.h"
#include "zvon/result.h"
#include "zvon/technology.h"

namespace zvon {

template <class T>
class NamedRegistry {
 public:
  explicit NamedRegistry(std::string kind, bool case_insensitive)
      : kind_(std::move(kind)), fold_(case_insensitive) {}

  Result<Registration> add(std::string_view name, T& obj, std::shared_ptr<ModuleUsage> owner) {
    std::string key = fold(name);
    std::unique_lock lock(mutex_);
    auto it = map_.find(key);
    if (it != map_.end())
      return make_error(cat(kind_, " '", name, "' is registered already by ", it->second.owner->name()));
    map_.emplace(key, Entry{&obj, std::string(name), std::move(owner)});
    generation_.fetch_add(1, std::memory_order_acq_rel);
    return Registration([this, key, p = &obj] {
      std::unique_lock lock(mutex_);
      auto it = map_.find(key);
      if (it != map_.end() && it->second.obj == p) {
        map_.erase(it);
        generation_.fetch_add(1, std::memory_order_acq_rel);
      }
    });
  }

  // Moves on with every registration and removal: what peek() said holds while it has not.
  uint64_t generation() const { return generation_.load(std::memory_order_acquire); }

  // The entry of `name` without pinning it, for a cache that pins when it uses the entry (and
  // checks the generation again after): obj is null when there is none.
  struct Peeked {
    T* obj = nullptr;
    std::shared_ptr<ModuleUsage> owner;
    uint64_t generation = 0;
  };
  Peeked peek(std::string_view name) const {
    std::string key = fold(name);
    std::shared_lock lock(mutex_);
    Peeked out;
    out.generation = generation_.load(std::memory_order_acquire);
    if (auto it = map_.find(key); it != map_.end()) {
      out.obj = it->second.obj;
      out.owner = it->second.owner;
    }
    return out;
  }

  Pinned<T> find(std::string_view name) {
    std::string key = fold(name);
    std::shared_lock lock(mutex_);
    auto it = map_.find(key);
    if (it == map_.end() || !it->second.owner->try_acquire()) return {};
    return Pinned<T>(it->second.obj, ModuleUse::adopt(it->second.owner));
  }

  std::vector<std::string> names() const {
    std::shared_lock lock(mutex_);
    std::vector<std::string> out;
    for (auto& [k, e] : map_) out.push_back(e.name);
    std::sort(out.begin(), out.end());
    return out;
  }

  // Name and owning module of each entry.
  std::vector<std::pair<std::string, std::string>> owners() const {
    std::shared_lock lock(mutex_);
    std::vector<std::pair<std::string, std::string>> out;
    for (auto& [k, e] : map_) out.emplace_back(e.name, e.owner->name());
    std::sort(out.begin(), out.end());
    return out;
  }

 private:
  struct Entry {
    T* obj;
    std::string name;
    std::shared_ptr<ModuleUsage> owner;
  };
  std::string fold(std::string_view s) const {
    std::string out(s);
    if (fold_)
      for (auto& c : out) c = char(std::tolower(static_cast<unsigned char>(c)));
    return out;
  }

  std::string kind_;
  bool fold_;
  mutable std::shared_mutex mutex_;
  std::unordered_map<std::string, Entry> map_;
  std::atomic<uint64_t> generation_{0};
};

struct Registries {
  NamedRegistry<Application> applications{"application", true};
  NamedRegistry<DialplanFunction> functions{"function", true};
  NamedRegistry<ChannelTechnology> technologies{"channel technology", true};
  NamedRegistry<Codec> codecs{"codec", true};
  // One entry at most, under kHoldMusicName: the module that plays music on hold.
  NamedRegistry<HoldMusic> hold_music{"music-on-hold provider", false};
  static constexpr std::string_view kHoldMusicName = "music-on-hold";
  // One entry at most, under kKeyValueStoreName: the module that keeps the DB() store.
  NamedRegistry<KeyValueStore> key_value_store{"key/value store", false};
  static constexpr std::string_view kKeyValueStoreName = "key-value-store";
  // The owner of what the core registers itself (built-in functions, test objects).
  std::shared_ptr<ModuleUsage> core_usage = std::make_shared<ModuleUsage>("core");
};

}  // namespace zvon
