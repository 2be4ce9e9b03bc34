// Reading a sound file into what the media plane plays: mono 16-bit PCM at a rate a codec
// takes. Any format libsndfile reads: WAV (PCM, μ-law, A-law), FLAC, Ogg/Opus, Ogg/Vorbis ...
#pragma once
#include <cstdint>
#include <filesystem>
#include <span>
#include <vector>

#include "zvon/result.h"

namespace zvon {

constexpr int kPlaybackRate = 8000;

// Mono samples at `rate`; immutable once made, shared between playbacks.
struct Sound {
  std::filesystem::path path;
  int rate = kPlaybackRate;
  std::vector<int16_t> samples;
};

// Reads the file, mixes its channels to mono and resamples it to `rate` (0: keeps the file's
// own rate). A file that is not a sound file libsndfile reads, or holds no audio, is an error
// naming the file. Blocks on disk: call it off the loops (the libuv threadpool). Any thread.
Result<Sound> read_sound_file(const std::filesystem::path& path, int rate = kPlaybackRate);

// The rate a sound recorded at `file_rate` is played at to a codec whose encoders take
// `codec_rates`: the file's own when the codec takes it (nothing resampled), else the lowest
// codec rate above it (no band lost), else the codec's highest. Pure.
int playback_rate_for(std::span<const int> codec_rates, int file_rate);

// The same sound at another rate (a copy when it already is at that rate). Pure.
Sound resampled(const Sound& sound, int rate);

}  // namespace zvon
