// Playtones(tones) and StopPlaytones(): a tone list ("440+480/2000,0/4000") or a named tone
// (dial, ring, busy, congestion: Russian ones when the channel's language is ru, else North
// American) plays to the caller in the background while the dialplan goes on, until
// StopPlaytones, another Playtones, the end of a list whose parts are all '!', or the hang-up.
// Stop the tone before playing prompts or bridging: both would send audio at once.
// A tone that plays holds the module: `module unload app_playtones` waits for it.
#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

#include "tone_list.h"
#include "tone_player.h"
#include "zvon/core.h"
#include "zvon/log.h"
#include "zvon/playback.h"

namespace zvon::tones {
namespace {

constexpr std::string_view kLog = "app_playtones";

// The players that play, one per channel. Channels of every loop share the table, so a
// mutex guards it (taken at Playtones, StopPlaytones and a player's end, never per frame);
// each player is created and destroyed on its channel's loop.
class Players {
 public:
  explicit Players(ModuleContext& ctx) : ctx_(ctx) {}
  ~Players() {
    // Normally empty (each player holds the module). At shutdown a player whose channel has
    // just gone may be left: destroy it on its own loop, where its timer lives.
    std::unordered_map<Channel*, Entry> left;
    {
      std::lock_guard lock(mutex_);
      left.swap(players_);
    }
    for (auto& [channel, entry] : left) {
      Loop& loop = entry.player->loop();
      loop.run_sync([&entry] { entry.player.reset(); });
    }
  }

  // Starts `parts` on the channel in place of its tone. The channel's loop.
  void play(Channel& channel, std::vector<TonePart> parts) {
    Channel* key = &channel;
    const uint64_t id = ++serial_;
    Entry entry;
    entry.id = id;
    entry.use = ctx_.use();
    entry.player = std::make_unique<TonePlayer>(channel, std::move(parts),
                                                [this, key, id] { remove(key, id); });
    TonePlayer* player = entry.player.get();
    std::unique_ptr<TonePlayer> replaced;
    {
      std::lock_guard lock(mutex_);
      auto& slot = players_[key];
      replaced = std::move(slot.player);
      slot = std::move(entry);
    }
    replaced.reset();  // outside the lock; the same loop as its timer
    player->start();   // may stop (and remove) it at once when the channel has no media
  }

  // Stops the channel's tone; false when none played. The channel's loop.
  bool stop(Channel& channel) { return remove(&channel, 0); }

 private:
  struct Entry {
    uint64_t id = 0;
    ModuleUse use;                       // let go of after the player is gone
    std::unique_ptr<TonePlayer> player;
  };

  // Removes the channel's player (only the one with `id`, unless 0) and destroys it here.
  bool remove(Channel* key, uint64_t id) {
    Entry gone;
    {
      std::lock_guard lock(mutex_);
      auto it = players_.find(key);
      if (it == players_.end() || (id != 0 && it->second.id != id)) return false;
      gone = std::move(it->second);
      players_.erase(it);
    }
    return true;  // `gone` is destroyed here, its player first, then the module use
  }

  ModuleContext& ctx_;
  std::mutex mutex_;
  std::atomic<uint64_t> serial_{0};
  std::unordered_map<Channel*, Entry> players_;
};

class Playtones final : public Application {
 public:
  explicit Playtones(Players& players) : players_(players) {}
  std::string_view name() const override { return "Playtones"; }
  std::string_view synopsis() const override {
    return "Plays a tone list or a named tone in the background";
  }
  std::string_view usage() const override {
    return "Playtones(dial|ring|busy|congestion|FREQ[+FREQ][/MS],...)";
  }
  Task<AppResult> exec(Channel& channel, const AppArgs& args) override {
    // The list's commas split it into arguments: put it back together.
    std::string text;
    for (size_t i = 0; i < args.size(); ++i) text += (i ? "," : "") + args[i];
    std::string_view list = named_tone(text, channel_language(channel).substr(0, 2));
    if (list.empty()) list = text;
    auto parts = parse_tone_list(list);
    if (!parts) {
      log(LogLevel::Warning, kLog, channel.name(), ": Playtones(", text, "): ", parts.message(),
          "; or name one of dial, ring, busy, congestion");
      co_return AppResult::Continue;
    }
    if (!channel.media()) {
      log(LogLevel::Warning, kLog, channel.name(),
          ": Playtones: the channel has no media yet (answer it or send early media first)");
      co_return AppResult::Continue;
    }
    players_.play(channel, std::move(*parts));
    co_return AppResult::Continue;
  }

 private:
  Players& players_;
};

class StopPlaytones final : public Application {
 public:
  explicit StopPlaytones(Players& players) : players_(players) {}
  std::string_view name() const override { return "StopPlaytones"; }
  std::string_view synopsis() const override { return "Stops the tone Playtones started"; }
  std::string_view usage() const override { return "StopPlaytones()"; }
  Task<AppResult> exec(Channel& channel, const AppArgs&) override {
    players_.stop(channel);
    co_return AppResult::Continue;
  }

 private:
  Players& players_;
};

class PlaytonesModule final : public Module {
 public:
  explicit PlaytonesModule(ModuleContext& ctx) : players(ctx), playtones(players), stop(players) {}
  Players players;
  Playtones playtones;
  StopPlaytones stop;
  Registration playtones_registration;  // after the apps: unregistered first
  Registration stop_registration;
};

Result<std::unique_ptr<Module>> load(ModuleContext& ctx) {
  auto m = std::make_unique<PlaytonesModule>(ctx);
  auto r1 = ctx.add_application(m->playtones);
  if (!r1) return r1.error();
  m->playtones_registration = std::move(*r1);
  auto r2 = ctx.add_application(m->stop);
  if (!r2) return r2.error();
  m->stop_registration = std::move(*r2);
  return std::unique_ptr<Module>(std::move(m));
}

}  // namespace
}  // namespace zvon::tones

ZVON_MODULE("app_playtones", "Playtones(), StopPlaytones(): call-progress tones", "",
            zvon::tones::load)
