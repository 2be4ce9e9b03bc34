// Sound files in every format zvon plays: written here with libsndfile, read back through
// read_sound_file(); and what a damaged or foreign file gives (an error naming it).
#include <catch2/catch.hpp>
#include <sndfile.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "media/sound_file.h"
#include "test_media_support.h"

using namespace zvon;
namespace fs = std::filesystem;

namespace {

struct TempDir {
  fs::path path = fs::temp_directory_path() / ("zvon-formats-" + std::to_string(::getpid()));
  TempDir() { fs::create_directories(path); }
  ~TempDir() { fs::remove_all(path); }
};

void write_sound(const fs::path& path, int format, int rate, const std::vector<int16_t>& samples) {
  SF_INFO info{};
  info.samplerate = rate;
  info.channels = 1;
  info.format = format;
  REQUIRE(sf_format_check(&info));
  SNDFILE* f = sf_open(path.c_str(), SFM_WRITE, &info);
  REQUIRE(f != nullptr);
  CHECK(sf_writef_short(f, samples.data(), sf_count_t(samples.size())) == sf_count_t(samples.size()));
  sf_close(f);
}

}  // namespace

TEST_CASE("sound formats: WAV PCM/μ-law/A-law, FLAC and Ogg/Opus read back as the tone they hold", "[media]") {
  TempDir dir;
  struct Case {
    const char* file;
    int format;
    int rate;
  };
  const Case cases[] = {
      {"pcm8.wav", SF_FORMAT_WAV | SF_FORMAT_PCM_16, 8000},
      {"pcm16.wav", SF_FORMAT_WAV | SF_FORMAT_PCM_16, 16000},
      {"pcm48.wav", SF_FORMAT_WAV | SF_FORMAT_PCM_16, 48000},
      {"ulaw.wav", SF_FORMAT_WAV | SF_FORMAT_ULAW, 8000},
      {"alaw.wav", SF_FORMAT_WAV | SF_FORMAT_ALAW, 8000},
      {"tone.flac", SF_FORMAT_FLAC | SF_FORMAT_PCM_16, 16000},
      {"tone.opus", SF_FORMAT_OGG | SF_FORMAT_OPUS, 48000},
  };
  for (const auto& c : cases) {
    INFO(c.file);
    write_sound(dir.path / c.file, c.format, c.rate, test::sine(700, c.rate, size_t(c.rate)));  // 1 s
    auto native = read_sound_file(dir.path / c.file, 0);
    REQUIRE(native);
    CHECK(native->rate == c.rate);
    CHECK(std::abs(long(native->samples.size()) - c.rate) < c.rate / 20);  // 1 s, give or take codec delay
    auto at8k = read_sound_file(dir.path / c.file, 8000);
    REQUIRE(at8k);
    CHECK(at8k->rate == 8000);
    std::span<const int16_t> middle(at8k->samples.data() + 1600, 4000);
    CHECK(test::tone_fraction(middle, 700, 8000) > 0.95);
  }
}

TEST_CASE("sound formats: corrupt, empty and foreign files are errors that name the file", "[media]") {
  TempDir dir;
  std::ofstream(dir.path / "text.wav") << "this is not a sound file";
  std::ofstream(dir.path / "empty.flac");
  // A FLAC whose frames were cut off after the header: the header reads, the audio does not.
  write_sound(dir.path / "whole.flac", SF_FORMAT_FLAC | SF_FORMAT_PCM_16, 8000, test::sine(500, 8000, 8000));
  {
    std::ifstream in(dir.path / "whole.flac", std::ios::binary);
    std::string bytes((std::istreambuf_iterator<char>(in)), {});
    std::ofstream(dir.path / "cut.flac", std::ios::binary) << bytes.substr(0, 60);
    // Garbage in place of the audio frames, after an intact header.
    for (size_t i = bytes.size() / 3; i < bytes.size(); ++i) bytes[i] = char(i * 7);
    std::ofstream(dir.path / "garbled.flac", std::ios::binary) << bytes;
  }
  for (const char* name : {"text.wav", "empty.flac", "cut.flac", "missing.wav"}) {
    INFO(name);
    auto r = read_sound_file(dir.path / name);
    REQUIRE_FALSE(r);
    CHECK_THAT(r.message(), Catch::Contains(name));
  }
  // A garbled FLAC: an error naming it, or the audio libsndfile could still decode; never a crash.
  auto garbled = read_sound_file(dir.path / "garbled.flac");
  if (!garbled) CHECK_THAT(garbled.message(), Catch::Contains("garbled.flac"));
}

TEST_CASE("sound formats: the rate a file plays at suits the codec and keeps the band", "[media]") {
  const int g711[] = {8000};
  const int g722[] = {16000, 8000};
  const int opus[] = {48000, 24000, 16000, 12000, 8000};
  CHECK(playback_rate_for(g711, 8000) == 8000);
  CHECK(playback_rate_for(g711, 48000) == 8000);
  CHECK(playback_rate_for(g722, 8000) == 8000);    // no upsampling: G.722 takes 8 kHz
  CHECK(playback_rate_for(g722, 48000) == 16000);  // its widest
  CHECK(playback_rate_for(g722, 11025) == 16000);  // the next one up, nothing lost
  CHECK(playback_rate_for(opus, 44100) == 48000);
  CHECK(playback_rate_for(opus, 16000) == 16000);
  CHECK(playback_rate_for({}, 16000) == kPlaybackRate);
}
