#include "record_app.h"

#include <cstdlib>
#include <optional>

#include "call_recorder.h"
#include "recording_format.h"
#include "sound_file_writer.h"
#include "zvon/channel.h"
#include "zvon/core.h"
#include "zvon/log.h"
#include "zvon/playback.h"

namespace zvon::record {
namespace {

constexpr std::string_view kLog = "app_record";
// A frame is silent when its mean absolute sample is below this (Asterisk's default
// silence threshold).
constexpr long kSilenceThreshold = 256;
constexpr size_t kMaxHeldSeconds = 10;

bool parse_seconds(const std::string& text, int& out) {
  if (text.empty()) return true;
  char* end = nullptr;
  const long v = std::strtol(text.c_str(), &end, 10);
  if (*end != '\0' || v < 0 || v > 24 * 3600) return false;
  out = int(v);
  return true;
}

bool silent(std::span<const int16_t> frame) {
  long sum = 0;
  for (int16_t s : frame) sum += std::abs(int(s));
  return frame.empty() || sum / long(frame.size()) < kSilenceThreshold;
}

// What the recorder hears of the caller goes to the file; silence is held back while it may
// still turn out to be the silence that ends the recording (then it is left out), at most
// kMaxHeldSeconds of it, so a long silence limit does not hold minutes of audio in memory.
class RecordSink final : public CallRecorder::Sink {
 public:
  enum class Stop { None, Silence, Timeout, WriteFailed };

  RecordSink(Channel& channel, SoundFileWriter& writer, int rate, const RecordSettings& s)
      : channel_(channel),
        writer_(writer),
        silence_frames_(uint64_t(s.silence_seconds) * 1000 / LegDecoder::kFrameMs),
        max_frames_(uint64_t(s.max_seconds) * 1000 / LegDecoder::kFrameMs),
        max_held_(size_t(rate) * kMaxHeldSeconds) {}

  void on_frames(std::span<const int16_t> received, std::span<const int16_t>) override {
    if (stop_ != Stop::None) return;
    if (!writer_.error().empty()) {  // the file cannot be opened or written: no use going on
      finish(Stop::WriteFailed);
      return;
    }
    ++frames_;
    if (silence_frames_ && silent(received)) {
      held_.insert(held_.end(), received.begin(), received.end());
      if (held_.size() > max_held_ + max_held_ / kMaxHeldSeconds) {  // a second over: write it
        const size_t over = held_.size() - max_held_;
        writer_.write(std::span<const int16_t>(held_).first(over));
        held_.erase(held_.begin(), held_.begin() + long(over));
      }
      if (++silent_run_ >= silence_frames_) {
        held_.clear();
        finish(Stop::Silence);
        return;
      }
    } else {
      flush();
      silent_run_ = 0;
      writer_.write(received);
    }
    if (max_frames_ && frames_ >= max_frames_) {
      flush();
      finish(Stop::Timeout);
    }
  }
  // The held silence was not the end: it belongs in the file.
  void flush() {
    if (held_.empty()) return;
    writer_.write(held_);
    held_.clear();
  }
  Stop stop() const { return stop_; }

 private:
  void finish(Stop why) {
    stop_ = why;
    channel_.wake();
  }
  Channel& channel_;
  SoundFileWriter& writer_;
  const uint64_t silence_frames_, max_frames_;
  const size_t max_held_;  // samples of silence held back at most
  uint64_t frames_ = 0, silent_run_ = 0;
  std::vector<int16_t> held_;
  Stop stop_ = Stop::None;
};

bool ends_recording(char digit, const std::string& terminators) {
  return terminators == "any" || terminators.find(digit) != std::string::npos;
}

}  // namespace

Result<RecordSettings> parse_record_args(const AppArgs& args) {
  RecordSettings s;
  if (args.empty() || args[0].empty()) return make_error("Record needs a file name, such as message.wav");
  s.file = args[0];
  if (args.size() > 1 && !parse_seconds(args[1], s.silence_seconds))
    return make_error("silence '" + args[1] + "' must be a whole number of seconds");
  if (args.size() > 2 && !parse_seconds(args[2], s.max_seconds))
    return make_error("maxduration '" + args[2] + "' must be a whole number of seconds");
  if (args.size() > 3) {
    for (char c : args[3]) {
      switch (c) {
        case 'n': s.answer = false; break;
        case 's': s.skip_unanswered = true; break;
        case 'q': s.beep = false; break;
        case 't': s.terminators = "*"; break;
        case 'x': s.terminators.clear(); break;
        case 'y': s.terminators = "any"; break;
        case 'k': break;  // zvon always keeps what was recorded
        default:
          return make_error(std::string("unknown Record option '") + c + "' (known: n s q t x y k)");
      }
    }
  }
  if (args.size() > 4) return make_error("Record takes at most four arguments");
  return s;
}

Task<AppResult> RecordApp::exec(Channel& channel, const AppArgs& args) {
  auto settings = parse_record_args(args);
  auto format = settings ? recording_format_for(settings->file) : Result<RecordingFormat>(settings.error());
  auto path = format ? recording_path(channel.core().paths().data_dir, settings->file)
                     : Result<std::filesystem::path>(format.error());
  if (!path) {
    log(LogLevel::Warning, kLog, channel.name(), ": Record: ", path.message());
    channel.set_var("RECORD_STATUS", "ERROR");
    co_return AppResult::Continue;
  }
  if (channel.state() != ChannelState::Up) {
    if (settings->skip_unanswered) {
      channel.set_var("RECORD_STATUS", "SKIP");
      co_return AppResult::Continue;
    }
    if (settings->answer) channel.answer();
  }
  if (!channel.media()) {
    log(LogLevel::Warning, kLog, channel.name(), ": Record: the channel has no media to record");
    channel.set_var("RECORD_STATUS", "ERROR");
    co_return AppResult::Continue;
  }
  if (settings->beep) {
    if (auto beep = co_await play_file(channel, "beep"); !beep)
      log(LogLevel::Notice, kLog, channel.name(), ": no beep before recording: ", beep.message());
  }

  const Codec* codec = channel.media()->codec();
  const int rate = recording_rate(*format, codec ? codec->pcm_rates() : std::span<const int>{});
  const std::string recorded = without_extension(*path, *format);
  channel.set_var("RECORDED_FILE", recorded);
  log(LogLevel::Verbose, kLog, channel.name(), ": recording ", path->string(), " (", format->description,
      ", ", rate, " Hz)");

  SoundFileWriter writer(channel.loop(), *path, format->sf_format, rate, 1);
  RecordSink sink(channel, writer, rate, *settings);
  std::string status;
  try {
    CallRecorder recorder(channel.loop(), *channel.media(), rate, sink);
    const DigitListening listening = channel.listen_for_digits();  // for the terminators
    const size_t digits_from = channel.pending_digits().size();
    while (status.empty()) {
      co_await channel.wait();
      auto& digits = channel.pending_digits();
      for (size_t i = std::min(digits_from, digits.size()); i < digits.size(); ++i) {
        if (ends_recording(digits[i], settings->terminators)) {
          digits.erase(i, 1);
          status = "DTMF";
          break;
        }
      }
      if (!status.empty()) break;
      if (sink.stop() == RecordSink::Stop::Silence) status = "SILENCE";
      else if (sink.stop() == RecordSink::Stop::Timeout) status = "TIMEOUT";
      else if (sink.stop() == RecordSink::Stop::WriteFailed) status = "ERROR";
    }
  } catch (const ChannelHungUp&) {
    // The recorder is gone; what it heard is written and the file closed without us.
    sink.flush();
    channel.set_var("RECORD_STATUS", "HANGUP");
    throw;
  }
  sink.flush();

  std::optional<Result<void>> closed;
  writer.close([&closed, &channel](Result<void> r) {
    closed = std::move(r);
    channel.wake();
  });
  channel.set_var("RECORD_STATUS", status);
  while (!closed) co_await channel.wait();  // a hang-up here: the file is still finished
  if (!*closed) {
    log(LogLevel::Warning, kLog, channel.name(), ": Record: ", closed->message());
    channel.set_var("RECORD_STATUS", "ERROR");
  }
  co_return AppResult::Continue;
}

}  // namespace zvon::record
