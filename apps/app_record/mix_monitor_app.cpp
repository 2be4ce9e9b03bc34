#include "mix_monitor_app.h"

#include <algorithm>
#include <memory>
#include <vector>

#include "call_recorder.h"
#include "recording_format.h"
#include "sound_file_writer.h"
#include "zvon/channel.h"
#include "zvon/core.h"
#include "zvon/events.h"
#include "zvon/log.h"

namespace zvon::record {
namespace {

constexpr std::string_view kLog = "app_record";
constexpr std::string_view kAttachment = "MixMonitor";

// A file of the recording, where it goes and in what format.
struct Target {
  std::filesystem::path path;
  RecordingFormat format;
};

Result<Target> target_for(Channel& channel, const std::string& name) {
  auto format = recording_format_for(name);
  if (!format) return format.error();
  auto path = recording_path(channel.core().paths().data_dir, name);
  if (!path) return path.error();
  return Target{*path, *format};
}

// The recorder on a channel: a MediaTap on its media through the CallRecorder, the files it
// writes, and its module's use (the code of this class lives in app_record.so).
class MixMonitor final : public ChannelAttachment, public CallRecorder::Sink {
 public:
  MixMonitor(Channel& channel, ModuleUse use, int rate, Target main, bool stereo,
             std::optional<Target> received, std::optional<Target> sent)
      : use_(std::move(use)), channel_name_(channel.name()), main_path_(main.path), stereo_(stereo) {
    auto open = [&](const Target& t, int channels) {
      return std::make_unique<SoundFileWriter>(channel.loop(), t.path, t.format.sf_format, rate, channels);
    };
    main_ = open(main, stereo ? 2 : 1);
    if (received) received_ = open(*received, 1);
    if (sent) sent_ = open(*sent, 1);
    mix_.resize(size_t(rate) * LegDecoder::kFrameMs / 1000 * (stereo ? 2 : 1));
    recorder_ = std::make_unique<CallRecorder>(channel.loop(), *channel.media(), rate, *this);
  }
  ~MixMonitor() override {
    recorder_.reset();  // no more frames; the writers finish their files on the threadpool
    log(LogLevel::Verbose, kLog, channel_name_, ": MixMonitor stopped, ", main_path_.string(),
        " closing");
  }

  void on_frames(std::span<const int16_t> received, std::span<const int16_t> sent) override {
    for (size_t i = 0; i < received.size(); ++i) {
      if (stereo_) {
        mix_[2 * i] = received[i];
        mix_[2 * i + 1] = sent[i];
      } else {
        mix_[i] = int16_t(std::clamp(int(received[i]) + int(sent[i]), -32768, 32767));
      }
    }
    main_->write(mix_);
    if (received_) received_->write(received);
    if (sent_) sent_->write(sent);
  }

 private:
  ModuleUse use_;  // first: released last, after everything that runs this module's code
  std::string channel_name_;
  std::filesystem::path main_path_;
  bool stereo_;
  std::vector<int16_t> mix_;
  std::unique_ptr<SoundFileWriter> main_, received_, sent_;
  std::unique_ptr<CallRecorder> recorder_;  // last: stops before the writers go
};

// "r(a.wav)t(b.wav)D" -> the settings; a letter with a value takes it in parentheses.
Result<void> parse_options(const std::string& text, MixMonitorSettings& s) {
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == 'D') {
      s.stereo = true;
      continue;
    }
    if (c != 'r' && c != 't')
      return make_error(std::string("unknown MixMonitor option '") + c +
                        "' (known: r(file) t(file) D)");
    const size_t close = text.find(')', i);
    if (i + 1 >= text.size() || text[i + 1] != '(' || close == std::string::npos)
      return make_error(std::string("MixMonitor option ") + c + " needs a file: " + c +
                        "(name.wav)");
    (c == 'r' ? s.received_file : s.sent_file) = text.substr(i + 2, close - i - 2);
    i = close;
  }
  return {};
}

}  // namespace

Result<MixMonitorSettings> parse_mix_monitor_args(const AppArgs& args) {
  MixMonitorSettings s;
  if (args.empty() || args[0].empty())
    return make_error("MixMonitor needs a file name, such as call-${UNIQUEID}.wav");
  s.file = args[0];
  if (args.size() > 1)
    if (auto r = parse_options(args[1], s); !r) return r.error();
  if (args.size() > 2)
    return make_error("MixMonitor takes a file and options; commands are not supported");
  return s;
}

Task<AppResult> MixMonitorApp::exec(Channel& channel, const AppArgs& args) {
  auto settings = parse_mix_monitor_args(args);
  auto fail = [&](const std::string& why) {
    log(LogLevel::Warning, kLog, channel.name(), ": MixMonitor: ", why);
  };
  if (!settings) {
    fail(settings.message());
    co_return AppResult::Continue;
  }
  auto main = target_for(channel, settings->file);
  std::optional<Target> received, sent;
  for (auto [name, slot] : {std::pair{&settings->received_file, &received},
                            std::pair{&settings->sent_file, &sent}}) {
    if (name->empty()) continue;
    auto t = target_for(channel, *name);
    if (!t) main = t.error();
    else *slot = *t;
  }
  if (!main) {
    fail(main.message());
    co_return AppResult::Continue;
  }
  if (!channel.media() || channel.hung_up()) {
    fail(channel.hung_up() ? "the call has hung up" : "the channel has no media to record");
    co_return AppResult::Continue;
  }
  // One rate for every file: a format's own (μ-law, A-law: 8 kHz) when one has it, else the
  // best the channel's codec carries.
  int rate = 0;
  for (const auto* t : {&*main, received ? &*received : nullptr, sent ? &*sent : nullptr})
    if (t && t->format.fixed_rate && !rate) rate = t->format.fixed_rate;
  if (!rate) {
    const Codec* codec = channel.media()->codec();
    rate = recording_rate(main->format, codec ? codec->pcm_rates() : std::span<const int>{});
  }
  const std::string file = main->path.string();
  channel.attach(std::string(kAttachment),
                 std::make_unique<MixMonitor>(channel, channel.application_use(), rate,
                                              std::move(*main), settings->stereo,
                                              std::move(received), std::move(sent)));
  channel.set_var("MIXMONITOR_FILENAME", file);
  Event e;
  e.type = "MixMonitorStart";
  e.add("channel", channel.name()).add("uniqueid", channel.unique_id()).add("file", file);
  channel.core().events().publish(std::move(e));
  log(LogLevel::Verbose, kLog, channel.name(), ": MixMonitor recording ", file, " at ", rate, " Hz");
  co_return AppResult::Continue;
}

Task<AppResult> StopMixMonitorApp::exec(Channel& channel, const AppArgs&) {
  if (!channel.detach(kAttachment))
    log(LogLevel::Notice, kLog, channel.name(), ": StopMixMonitor: no MixMonitor is running");
  co_return AppResult::Continue;
}

}  // namespace zvon::record
