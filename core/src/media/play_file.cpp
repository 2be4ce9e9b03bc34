// play_file(): find the file, read it on the libuv threadpool (through the core's sound
// cache), then play it with a SoundPlayer while the dialplan coroutine waits on the channel.
#include "zvon/playback.h"

#include <cctype>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core_impl.h"
#include "sound_cache.h"
#include "sound_player.h"
#include "zvon/channel.h"
#include "zvon/core.h"
#include "zvon/log.h"

namespace zvon {
namespace fs = std::filesystem;
namespace {

constexpr std::string_view kDefaultLanguage = "en";

// The extensions a name without one is tried with, in this order (docs/DIALPLAN.md): the
// first file found is played, whatever libsndfile then finds inside it.
constexpr std::string_view kSoundExtensions[] = {".wav", ".flac", ".opus", ".ogg"};

bool has_sound_extension(const fs::path& file) {
  for (auto ext : kSoundExtensions)
    if (file.extension() == ext) return true;
  return false;
}

// Where `name` may be, in order: in sounds/<lang>/, then sounds/en/, the name as it is when
// it ends in a sound extension, else the name with each of kSoundExtensions (a name with
// another extension, "msg.ulaw", is tried as it is first). An absolute path is looked up
// in its own directory only.
Result<std::vector<fs::path>> candidates(Channel& channel, const std::string& name) {
  if (name.empty()) return make_error("no sound file named");
  const fs::path file(name);
  std::vector<fs::path> dirs;
  if (file.is_absolute()) {
    dirs.push_back(fs::path());
  } else {
    for (const auto& part : file)
      if (part == "..")
        return make_error("sound name '" + name + "' may not leave the sounds directory");
    const fs::path& dir = channel.core().paths().sounds_dir;
    std::string lang = channel_language(channel);
    dirs.push_back(dir / lang);
    if (lang != kDefaultLanguage) dirs.push_back(dir / kDefaultLanguage);
  }
  std::vector<fs::path> out;
  for (const auto& dir : dirs) {
    const fs::path base = dir.empty() ? file : dir / file;
    if (file.has_extension()) out.push_back(base);
    if (has_sound_extension(file)) continue;
    for (auto ext : kSoundExtensions) out.push_back(fs::path(base) += ext);
  }
  return out;
}

std::shared_ptr<SoundCache> cache_of(Core& core) {
  if (auto* impl = dynamic_cast<CoreImpl*>(&core)) return impl->sound_cache();
  return nullptr;
}

// Finds and reads the sound on the threadpool. The job belongs to libuv until its
// completion runs on the loop; the coroutine's SoundLoad only borrows it and lets go of it
// when the coroutine is destroyed first (hang-up).
class SoundLoad {
 public:
  SoundLoad(Channel& channel, std::shared_ptr<SoundCache> cache, std::vector<fs::path> paths,
            std::vector<int> codec_rates)
      : channel_(channel) {
    auto job = std::make_unique<Job>();
    job->owner = this;
    job->cache = std::move(cache);
    job->paths = std::move(paths);
    job->codec_rates = std::move(codec_rates);
    job->req.data = job.get();
    int r = uv_queue_work(channel.loop().uv(), &job->req, &SoundLoad::work, &SoundLoad::after);
    if (r != 0) {
      result_ = make_error(std::string("cannot queue the sound file read: ") + uv_strerror(r));
      return;
    }
    job_ = job.release();
  }
  ~SoundLoad() {
    if (job_) {
      job_->owner = nullptr;
      uv_cancel(reinterpret_cast<uv_req_t*>(&job_->req));
    }
  }
  SoundLoad(const SoundLoad&) = delete;
  SoundLoad& operator=(const SoundLoad&) = delete;

  bool done() const { return result_.has_value(); }
  Result<std::shared_ptr<const Sound>> take() { return std::move(*result_); }

 private:
  struct Job {
    uv_work_t req{};
    SoundLoad* owner = nullptr;
    std::shared_ptr<SoundCache> cache;
    std::vector<fs::path> paths;
    std::vector<int> codec_rates;  // what the channel's codec takes: the sound is resampled to one
    std::optional<Result<std::shared_ptr<const Sound>>> result;
  };

  static Result<std::shared_ptr<const Sound>> read_native(SoundCache* cache, const fs::path& path) {
    if (cache) return cache->get(path);
    auto read = read_sound_file(path, 0);
    if (!read) return read.error();
    return std::shared_ptr<const Sound>(std::make_shared<Sound>(std::move(*read)));
  }

  static void work(uv_work_t* req) {  // a threadpool thread
    auto* job = static_cast<Job*>(req->data);
    for (const auto& path : job->paths) {
      std::error_code ec;
      if (!fs::is_regular_file(path, ec)) continue;
      auto sound = read_native(job->cache.get(), path);
      // The cache keeps the file's own rate; each playback takes the rate its codec wants.
      if (sound) {
        const int rate = playback_rate_for(job->codec_rates, (*sound)->rate);
        if (rate != (*sound)->rate)
          sound = std::shared_ptr<const Sound>(std::make_shared<Sound>(resampled(**sound, rate)));
      }
      job->result = std::move(sound);
      return;
    }
    std::string looked;
    for (const auto& p : job->paths) looked += (looked.empty() ? "" : ", ") + p.string();
    job->result = make_error("no such sound file (looked for " + looked + ")");
  }

  static void after(uv_work_t* req, int status) {  // the loop
    std::unique_ptr<Job> job(static_cast<Job*>(req->data));
    SoundLoad* owner = job->owner;
    if (!owner) return;
    owner->job_ = nullptr;
    if (status != 0 || !job->result)
      owner->result_ = make_error(std::string("reading the sound file was cancelled: ") +
                                  uv_strerror(status));
    else
      owner->result_ = std::move(*job->result);
    owner->channel_.wake();
  }

  Channel& channel_;
  Job* job_ = nullptr;
  std::optional<Result<std::shared_ptr<const Sound>>> result_;
};

bool interrupted(const std::string& digits, size_t from, const std::string& interrupt) {
  if (interrupt.empty()) return false;
  for (size_t i = std::min(from, digits.size()); i < digits.size(); ++i)
    if (interrupt.find(digits[i]) != std::string::npos) return true;
  return false;
}

}  // namespace

bool valid_language_code(std::string_view lang) {
  if (lang.empty() || lang.size() > 32) return false;
  for (char c : lang)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-')) return false;
  return true;
}

std::string channel_language(Channel& channel) {
  auto* impl = dynamic_cast<CoreImpl*>(&channel.core());
  const std::string configured = impl ? impl->settings().language : std::string(kDefaultLanguage);
  for (std::string_view var : {"CHANNEL_LANGUAGE", "LANGUAGE"}) {  // CHANNEL(language) keeps it in the first
    if (auto v = channel.var(var); v && !v->empty()) {
      if (valid_language_code(*v)) return std::string(*v);
      log(LogLevel::Warning, "playback", channel.name(), ": language '", *v,
          "' is not a language code; using ", configured);
      break;
    }
  }
  return configured;
}

Task<Result<PlaybackEnd>> play_file(Channel& channel, std::string name, PlaybackOptions options) {
  if (!channel.media())
    co_return make_error("channel " + channel.name() +
                         " has no media yet: answer it (or send early media) before playing " +
                         name);
  auto paths = candidates(channel, name);
  if (!paths) co_return paths.error();

  // Only digits pressed from now on interrupt: older ones belong to whoever left them.
  const size_t digits_from = channel.pending_digits().size();
  DigitListening listening;
  if (!options.interrupt_digits.empty()) listening = channel.listen_for_digits();
  std::shared_ptr<const Sound> sound;
  {
    const Codec* codec = channel.media()->codec();
    std::vector<int> codec_rates{kPlaybackRate};
    if (codec) codec_rates.assign(codec->pcm_rates().begin(), codec->pcm_rates().end());
    SoundLoad load(channel, cache_of(channel.core()), std::move(*paths), std::move(codec_rates));
    while (!load.done()) co_await channel.wait();
    auto loaded = load.take();
    if (!loaded) co_return loaded.error();
    sound = std::move(*loaded);
  }

  SoundPlayer player(channel, sound);
  player.start();
  while (!player.finished()) {
    if (interrupted(channel.pending_digits(), digits_from, options.interrupt_digits))
      co_return PlaybackEnd::Interrupted;
    co_await channel.wait();
  }
  co_return PlaybackEnd::Finished;
}

}  // namespace zvon
