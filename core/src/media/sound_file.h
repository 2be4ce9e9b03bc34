// Reading a sound file into what the media plane plays: 8 kHz mono 16-bit PCM.
#pragma once
#include <cstdint>
#include <filesystem>
#include <vector>

#include "zvon/result.h"

namespace zvon {

constexpr int kPlaybackRate = 8000;

// 8 kHz mono samples; immutable once made, shared between playbacks.
struct Sound {
  std::filesystem::path path;
  std::vector<int16_t> samples;
};

// Reads any format libsndfile knows, mixes to mono and resamples to 8 kHz. Blocks on disk:
// call it off the loops (the libuv threadpool). Any thread.
Result<Sound> read_sound_file(const std::filesystem::path& path);

}  // namespace zvon
