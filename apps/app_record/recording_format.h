// Which file a recording goes to and in what format, from the name the dialplan gave:
//
//   name.wav        WAV, 16-bit PCM at the call's rate (8 kHz G.711, 16 kHz G.722, 48 kHz Opus)
//   name.ulaw.wav   WAV, G.711 μ-law, 8 kHz
//   name.alaw.wav   WAV, G.711 A-law, 8 kHz
//   name.flac       FLAC, 16-bit, the call's rate
//   name.opus       Ogg/Opus, the call's rate
//
// A relative name is taken from <data_dir>/recordings/ (zvon.conf data_dir) and may not leave
// it; an absolute path is used as it is. Pure: any thread.
#pragma once
#include <filesystem>
#include <span>
#include <string>
#include <string_view>

#include "zvon/result.h"

namespace zvon::record {

struct RecordingFormat {
  std::string_view extension;  // ".ulaw.wav"
  int sf_format = 0;           // libsndfile's SF_FORMAT_* major | subtype
  int fixed_rate = 0;          // the rate the format needs, 0: the call's
  std::string_view description;
};

// The formats, longest extension first.
std::span<const RecordingFormat> recording_formats();

// The format `file_name`'s extension asks for; the error lists the ones there are.
Result<RecordingFormat> recording_format_for(std::string_view file_name);

// The rate to record at: the format's own, else the best PCM rate of the call's codec
// (`codec_rates`, best first; empty: 8 kHz).
int recording_rate(const RecordingFormat& format, std::span<const int> codec_rates);

// Where `file_name` is written: see above. Errors for an empty name or one leaving the
// recordings directory.
Result<std::filesystem::path> recording_path(const std::filesystem::path& data_dir,
                                             std::string_view file_name);

// The path without the format's extension (what RECORDED_FILE holds, as Asterisk has it).
std::string without_extension(const std::filesystem::path& path, const RecordingFormat& format);

}  // namespace zvon::record
