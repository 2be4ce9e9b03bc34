#include "sound_file.h"

#include <sndfile.h>

#include <algorithm>
#include <memory>
#include <string>

#include "resample.h"

namespace zvon {
namespace {

// Longer files are refused rather than held in memory: prompts are seconds long.
constexpr sf_count_t kMaxSeconds = 30 * 60;

struct SndfileCloser {
  void operator()(SNDFILE* f) const { sf_close(f); }
};

}  // namespace

Result<Sound> read_sound_file(const std::filesystem::path& path, int rate) {
  SF_INFO info{};
  std::unique_ptr<SNDFILE, SndfileCloser> file(sf_open(path.c_str(), SFM_READ, &info));
  if (!file)
    return make_error("cannot read sound file " + path.string() +
                      " (corrupt, or not a format libsndfile reads): " + sf_strerror(nullptr));
  if (info.channels <= 0 || info.channels > 64 || info.samplerate < 1000 || info.samplerate > 384000)
    return make_error("sound file " + path.string() + " has " + std::to_string(info.channels) +
                      " channels at " + std::to_string(info.samplerate) +
                      " Hz; expected 1-64 channels at 1-384 kHz");
  if (info.frames > kMaxSeconds * info.samplerate)
    return make_error("sound file " + path.string() + " is longer than 30 minutes");

  const size_t channels = size_t(info.channels);
  std::vector<int16_t> interleaved(size_t(std::max<sf_count_t>(info.frames, 0)) * channels);
  sf_count_t frames = sf_readf_short(file.get(), interleaved.data(), info.frames);
  if (frames < 0) frames = 0;
  // A file cut short or damaged inside: libsndfile reads what it can and says why it stopped.
  if (frames < info.frames && sf_error(file.get()) != SF_ERR_NO_ERROR)
    return make_error("sound file " + path.string() + " is damaged after " +
                      std::to_string(frames) + " of " + std::to_string(info.frames) +
                      " frames: " + sf_strerror(file.get()));
  if (frames == 0) return make_error("sound file " + path.string() + " holds no audio");

  std::vector<int16_t> mono(static_cast<size_t>(frames));
  for (size_t i = 0; i < mono.size(); ++i) {
    int sum = 0;
    for (size_t c = 0; c < channels; ++c) sum += interleaved[i * channels + c];
    mono[i] = int16_t(sum / int(channels));
  }

  Sound sound;
  sound.path = path;
  sound.rate = info.samplerate;
  sound.samples = std::move(mono);
  if (rate == 0 || rate == sound.rate) return sound;
  return resampled(sound, rate);
}

int playback_rate_for(std::span<const int> codec_rates, int file_rate) {
  if (codec_rates.empty()) return kPlaybackRate;
  int above = 0, highest = 0;
  for (int r : codec_rates) {
    if (r == file_rate) return r;
    if (r > file_rate && (above == 0 || r < above)) above = r;
    highest = std::max(highest, r);
  }
  return above ? above : highest;
}

Sound resampled(const Sound& sound, int rate) {
  Sound out;
  out.path = sound.path;
  out.rate = rate;
  out.samples = sound.rate == rate ? sound.samples : resample(sound.samples, sound.rate, rate);
  return out;
}

}  // namespace zvon
