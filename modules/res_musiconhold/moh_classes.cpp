#include "moh_classes.h"

#include <sndfile.h>

#include <algorithm>
#include <cctype>

#include "zvon/log.h"

namespace zvon::moh {
namespace fs = std::filesystem;
namespace {

// Hold music loops; a longer file is a mistake (or not music) rather than something to keep
// in memory.
constexpr sf_count_t kMaxSeconds = 15 * 60;
constexpr size_t kMaxTracks = 100;

struct SndfileCloser {
  void operator()(SNDFILE* f) const { sf_close(f); }
};

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = char(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string where(const ConfigSection& s, std::string_view key) {
  if (auto* e = s.entry(key)) return e->pos.str();
  return s.pos.str();
}

}  // namespace

Result<Track> read_track(const fs::path& path) {
  SF_INFO info{};
  std::unique_ptr<SNDFILE, SndfileCloser> file(sf_open(path.c_str(), SFM_READ, &info));
  if (!file) return make_error("cannot read " + path.string() + ": " + sf_strerror(nullptr));
  if (info.channels <= 0 || info.channels > 16 || info.samplerate < 1000 || info.samplerate > 192000)
    return make_error(cat(path.string(), " has ", info.channels, " channels at ", info.samplerate,
                          " Hz; expected 1-16 channels at 1-192 kHz"));
  if (info.frames > kMaxSeconds * info.samplerate)
    return make_error(path.string() + " is longer than 15 minutes");
  const size_t channels = size_t(info.channels);
  std::vector<int16_t> interleaved(size_t(info.frames) * channels);
  sf_count_t frames = std::max<sf_count_t>(0, sf_readf_short(file.get(), interleaved.data(), info.frames));
  std::vector<int16_t> mono(static_cast<size_t>(frames));
  for (size_t i = 0; i < mono.size(); ++i) {
    int sum = 0;
    for (size_t c = 0; c < channels; ++c) sum += interleaved[i * channels + c];
    mono[i] = int16_t(sum / int(channels));
  }
  Track t;
  t.path = path;
  if (info.samplerate == kRate || mono.empty()) {
    t.samples = std::move(mono);
  } else {
    // Linear interpolation is enough for background music on a telephone line.
    const double step = double(info.samplerate) / kRate;
    const size_t n = size_t(double(mono.size()) / step);
    t.samples.resize(n);
    for (size_t i = 0; i < n; ++i) {
      double x = double(i) * step;
      size_t a = size_t(x);
      size_t b = std::min(a + 1, mono.size() - 1);
      double f = x - double(a);
      t.samples[i] = int16_t(mono[a] * (1 - f) + mono[b] * f);
    }
  }
  if (t.samples.empty()) return make_error(path.string() + " holds no audio");
  return t;
}

Result<std::shared_ptr<const Classes>> load_classes(const Config& config, const fs::path& sounds_dir) {
  auto classes = std::make_shared<Classes>();
  for (auto& s : config.sections()) {
    if (s.is_template || s.name == "general") continue;
    auto c = std::make_shared<MusicClass>();
    c->name = s.name;
    auto mode = lower(s.get_or("mode", "files"));
    if (mode != "files")
      return make_error(cat(where(s, "mode"), ": mode '", mode, "' of class [", s.name,
                            "] is not supported (only mode = files)"));
    auto dir = std::string(s.get_or("directory", ""));
    if (dir.empty()) return make_error(cat(s.pos.str(), ": class [", s.name, "] has no directory="));
    fs::path d(dir);
    c->directory = d.is_absolute() ? d : sounds_dir / d;
    auto sort = lower(s.get_or("sort", "alpha"));
    if (sort != "alpha" && sort != "random")
      return make_error(cat(where(s, "sort"), ": sort must be alpha or random, not '", sort, "'"));
    c->random = sort == "random";

    std::error_code ec;
    if (!fs::is_directory(c->directory, ec))
      return make_error(cat(where(s, "directory"), ": class [", s.name, "]: ", c->directory.string(),
                            " is not a directory"));
    std::vector<fs::path> files;
    for (auto& entry : fs::directory_iterator(c->directory, ec))
      if (entry.is_regular_file(ec) && entry.path().filename().string()[0] != '.')
        files.push_back(entry.path());
    std::sort(files.begin(), files.end());
    if (files.size() > kMaxTracks) files.resize(kMaxTracks);
    for (auto& f : files) {
      auto t = read_track(f);
      if (!t) {
        // One unreadable file (a README, a broken upload) should not silence the class.
        log(LogLevel::Warning, "res_musiconhold", "class ", s.name, ": skipping ", t.message());
        continue;
      }
      c->tracks.push_back(std::make_shared<const Track>(std::move(*t)));
    }
    if (c->tracks.empty())
      return make_error(cat(where(s, "directory"), ": class [", s.name, "]: no readable sound file in ",
                            c->directory.string()));
    classes->emplace(lower(c->name), std::move(c));
  }
  return std::shared_ptr<const Classes>(std::move(classes));
}

}  // namespace zvon::moh
