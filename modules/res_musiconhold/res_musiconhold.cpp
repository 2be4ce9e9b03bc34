// res_musiconhold: music on hold from classes of files (etc/musiconhold.conf). Provides the
// core's HoldMusic (a bridge plays it to one side while the other holds), the dialplan
// application MusicOnHold(class[,seconds]) and the console command `moh show classes`.
#include <chrono>
#include <cstdlib>
#include <cctype>
#include <mutex>
#include <optional>

#include "moh_classes.h"
#include "moh_player.h"
#include "zvon/core.h"
#include "zvon/log.h"

namespace zvon::moh {
namespace {

constexpr std::string_view kLog = "res_musiconhold";
constexpr std::string_view kDefaultClass = "default";

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = char(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// The classes in use; swapped whole by a reload. Any thread (a short lock, at hold time only).
class ClassSet {
 public:
  explicit ClassSet(std::shared_ptr<const Classes> c) : classes_(std::move(c)) {}
  std::shared_ptr<const Classes> get() const {
    std::lock_guard lock(mutex_);
    return classes_;
  }
  void set(std::shared_ptr<const Classes> c) {
    std::lock_guard lock(mutex_);
    classes_ = std::move(c);
  }

 private:
  mutable std::mutex mutex_;
  std::shared_ptr<const Classes> classes_;
};

class Provider final : public HoldMusic {
 public:
  explicit Provider(ClassSet& set) : set_(set) {}
  Result<std::unique_ptr<HoldMusicPlayer>> start(Channel& channel, std::string_view name) override {
    auto player = make(channel, name);
    if (!player) return player.error();
    return std::unique_ptr<HoldMusicPlayer>(std::move(*player));
  }

  Result<std::unique_ptr<MohPlayer>> make(Channel& channel, std::string_view name) {
    auto classes = set_.get();
    std::string key = lower(name.empty() ? kDefaultClass : name);
    auto it = classes->find(key);
    if (it == classes->end())
      return make_error(cat("no music-on-hold class [", key, "] in musiconhold.conf"));
    if (!channel.media())
      return make_error(cat("channel ", channel.name(), " has no media to play music on hold to"));
    auto player = std::make_unique<MohPlayer>(channel, it->second);
    player->start();
    return player;
  }

 private:
  ClassSet& set_;
};

class MusicOnHoldApp final : public Application {
 public:
  explicit MusicOnHoldApp(Provider& p) : provider_(p) {}
  std::string_view name() const override { return "MusicOnHold"; }
  std::string_view synopsis() const override { return "Plays music on hold until hang-up or a time"; }
  std::string_view usage() const override { return "MusicOnHold([class][,seconds])"; }

  Task<AppResult> exec(Channel& channel, const AppArgs& args) override {
    if (channel.state() != ChannelState::Up && channel.state() != ChannelState::Progress)
      channel.answer();
    std::string music_class = !args.empty() ? args[0] : std::string(channel.var("MUSICCLASS").value_or(""));
    std::optional<uint64_t> until;
    if (args.size() > 1 && !args[1].empty()) {
      char* end = nullptr;
      double seconds = std::strtod(args[1].c_str(), &end);
      if (*end != '\0' || !(seconds > 0) || seconds > 86400) {
        log(LogLevel::Warning, kLog, channel.name(), ": MusicOnHold duration '", args[1],
            "' is not a number of seconds; playing until hang-up");
      } else {
        until = channel.loop().now_ms() + uint64_t(seconds * 1000);
      }
    }
    auto player = provider_.make(channel, music_class);
    if (!player) {
      log(LogLevel::Warning, kLog, channel.name(), ": MusicOnHold: ", player.message());
      co_return AppResult::Continue;
    }
    for (;;) {
      std::chrono::milliseconds wait(-1);
      if (until) {
        uint64_t now = channel.loop().now_ms();
        if (now >= *until) break;
        wait = std::chrono::milliseconds(*until - now);
      }
      co_await channel.wait(wait);  // ChannelHungUp unwinds; the player stops with it
    }
    co_return AppResult::Continue;
  }

 private:
  Provider& provider_;
};

class MohModule final : public Module {
 public:
  MohModule(Core& core, std::shared_ptr<const Classes> classes)
      : core_(core), set_(std::move(classes)), provider_(set_), app_(provider_) {}

  Result<void> reload() override {
    auto classes = read(core_);
    if (!classes) return classes.error();
    set_.set(std::move(*classes));
    log(LogLevel::Notice, kLog, "reloaded: ", set_.get()->size(), " classes");
    return {};
  }

  static Result<std::shared_ptr<const Classes>> read(Core& core) {
    auto config = core.load_config("musiconhold.conf");
    if (!config) return config.error();
    return load_classes(*config, core.paths().sounds_dir);
  }

  int show_classes(CommandOutput& out) {
    auto classes = set_.get();
    for (auto& [key, c] : *classes) {
      double seconds = 0;
      for (auto& t : c->tracks) seconds += double(t->samples.size()) / kRate;
      out.line(cat("Class: ", c->name, "  mode: files  directory: ", c->directory.string(),
                   "  files: ", c->tracks.size(), "  seconds: ", int(seconds),
                   c->random ? "  sort: random" : "  sort: alpha"));
    }
    out.line(cat(classes->size(), classes->size() == 1 ? " class" : " classes"));
    return 0;
  }

  Core& core_;
  ClassSet set_;
  Provider provider_;
  MusicOnHoldApp app_;
  std::vector<Registration> registrations_;  // last: unregistered first
};

Result<std::unique_ptr<Module>> load(ModuleContext& ctx) {
  auto classes = MohModule::read(ctx.core());
  if (!classes) return classes.error();
  auto m = std::make_unique<MohModule>(ctx.core(), std::move(*classes));
  auto music = ctx.add_hold_music(m->provider_);
  if (!music) return music.error();
  m->registrations_.push_back(std::move(*music));
  auto app = ctx.add_application(m->app_);
  if (!app) return app.error();
  m->registrations_.push_back(std::move(*app));
  ConsoleCommand show;
  show.words = {"moh", "show", "classes"};
  show.summary = "Lists the music-on-hold classes and their files";
  MohModule* raw = m.get();
  show.run = [raw](const std::vector<std::string>& args, CommandOutput& out) {
    if (!args.empty()) {
      out.line("Usage: moh show classes");
      return 1;
    }
    return raw->show_classes(out);
  };
  auto cmd = ctx.add_command(std::move(show));
  if (!cmd) return cmd.error();
  m->registrations_.push_back(std::move(*cmd));
  log(LogLevel::Verbose, kLog, m->set_.get()->size(), " music-on-hold classes");
  return std::unique_ptr<Module>(std::move(m));
}

}  // namespace
}  // namespace zvon::moh

ZVON_MODULE("res_musiconhold", "Music on hold: classes of files, MusicOnHold()", "", zvon::moh::load)
