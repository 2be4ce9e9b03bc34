#include "sound_file.h"

#include <sndfile.h>

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

Result<Sound> read_sound_file(const std::filesystem::path& path) {
  SF_INFO info{};
  std::unique_ptr<SNDFILE, SndfileCloser> file(sf_open(path.c_str(), SFM_READ, &info));
  if (!file)
    return make_error("cannot read sound file " + path.string() + ": " + sf_strerror(nullptr));
  if (info.channels <= 0 || info.channels > 64 || info.samplerate < 1000 || info.samplerate > 384000)
    return make_error("sound file " + path.string() + " has " + std::to_string(info.channels) +
                      " channels at " + std::to_string(info.samplerate) +
                      " Hz; expected 1-64 channels at 1-384 kHz");
  if (info.frames > kMaxSeconds * info.samplerate)
    return make_error("sound file " + path.string() + " is longer than 30 minutes");

  const size_t channels = size_t(info.channels);
  std::vector<int16_t> interleaved(size_t(info.frames) * channels);
  sf_count_t frames = sf_readf_short(file.get(), interleaved.data(), info.frames);
  if (frames < 0) frames = 0;

  std::vector<int16_t> mono(static_cast<size_t>(frames));
  for (size_t i = 0; i < mono.size(); ++i) {
    int sum = 0;
    for (size_t c = 0; c < channels; ++c) sum += interleaved[i * channels + c];
    mono[i] = int16_t(sum / int(channels));
  }

  Sound sound;
  sound.path = path;
  sound.samples = info.samplerate == kPlaybackRate ? std::move(mono)
                                                   : resample(mono, info.samplerate, kPlaybackRate);
  return sound;
}

}  // namespace zvon
