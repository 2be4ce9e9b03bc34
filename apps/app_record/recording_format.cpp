#include "recording_format.h"

#include <sndfile.h>

namespace zvon::record {
namespace {

constexpr RecordingFormat kFormats[] = {
    {".ulaw.wav", SF_FORMAT_WAV | SF_FORMAT_ULAW, 8000, "WAV, G.711 u-law, 8 kHz"},
    {".alaw.wav", SF_FORMAT_WAV | SF_FORMAT_ALAW, 8000, "WAV, G.711 A-law, 8 kHz"},
    {".wav", SF_FORMAT_WAV | SF_FORMAT_PCM_16, 0, "WAV, 16-bit PCM"},
    {".flac", SF_FORMAT_FLAC | SF_FORMAT_PCM_16, 0, "FLAC, 16-bit"},
    {".opus", SF_FORMAT_OGG | SF_FORMAT_OPUS, 0, "Ogg/Opus"},
};

bool ends_with(std::string_view s, std::string_view tail) {
  return s.size() > tail.size() && s.substr(s.size() - tail.size()) == tail;
}

}  // namespace

std::span<const RecordingFormat> recording_formats() { return kFormats; }

Result<RecordingFormat> recording_format_for(std::string_view file_name) {
  for (const auto& f : kFormats)
    if (ends_with(file_name, f.extension)) return f;
  std::string known;
  for (const auto& f : kFormats) known += (known.empty() ? "" : ", ") + std::string(f.extension);
  return make_error("'" + std::string(file_name) + "' does not end in a recording format (" + known + ")");
}

int recording_rate(const RecordingFormat& format, std::span<const int> codec_rates) {
  if (format.fixed_rate) return format.fixed_rate;
  return codec_rates.empty() ? 8000 : codec_rates.front();
}

Result<std::filesystem::path> recording_path(const std::filesystem::path& data_dir,
                                             std::string_view file_name) {
  const std::filesystem::path name{std::string(file_name)};
  if (name.empty() || !name.has_filename()) return make_error("no recording file named");
  if (name.is_absolute()) return name;
  for (const auto& part : name)
    if (part == "..")
      return make_error("recording name '" + std::string(file_name) +
                        "' may not leave the recordings directory");
  return data_dir / "recordings" / name;
}

std::string without_extension(const std::filesystem::path& path, const RecordingFormat& format) {
  std::string s = path.string();
  return s.substr(0, s.size() - format.extension.size());
}

}  // namespace zvon::record
