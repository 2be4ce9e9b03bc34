// The music-on-hold classes of etc/musiconhold.conf, with their files read into memory:
//
//   [default]
//   mode = files              ; the only mode: play the files of a directory in turn
//   directory = moh/default   ; relative to the sounds directory (zvon.conf sounds_dir)
//   sort = alpha              ; alpha (default) or random order at each start
//
// Built whole by load_classes() and never changed after: a reload builds a new set and
// players still running keep the old one alive through their shared_ptr. Any thread.
#pragma once
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "zvon/config.h"
#include "zvon/result.h"

namespace zvon::moh {

constexpr int kRate = 8000;  // what players send: 8 kHz mono 16-bit

struct Track {
  std::filesystem::path path;
  std::vector<int16_t> samples;  // 8 kHz mono
};

struct MusicClass {
  std::string name;
  std::filesystem::path directory;
  bool random = false;
  std::vector<std::shared_ptr<const Track>> tracks;  // in file name order
};

using Classes = std::map<std::string, std::shared_ptr<const MusicClass>>;

// Parses the configuration and reads every class's files (.wav, .flac, .ogg ... anything
// libsndfile reads). Errors name file:line, or the file that cannot be read. Reads files:
// run it at module load / reload, never on a worker loop.
Result<std::shared_ptr<const Classes>> load_classes(const Config& config,
                                                    const std::filesystem::path& sounds_dir);

// Reads one file as 8 kHz mono (mixing channels, resampling linearly). Any thread.
Result<Track> read_track(const std::filesystem::path& path);

}  // namespace zvon::moh
