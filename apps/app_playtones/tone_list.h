// Tone lists as Asterisk's indications write them: "440+480/2000,0/4000" is 440 Hz and
// 480 Hz together for 2 s, then 4 s of silence, repeated. A part is [!]FREQ[+FREQ][/MS]:
// 0 Hz is silence, a part without /MS lasts until stopped (only the last part may), and a
// part starting with '!' plays only the first time through. Named tones (dial, ring, busy,
// congestion) are those of a country. Pure: parsing and sample generation, unit-tested.
#pragma once
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "zvon/result.h"

namespace zvon::tones {

struct TonePart {
  std::vector<double> frequencies;  // none: silence
  uint32_t duration_ms = 0;         // 0: until stopped
  bool once = false;                // '!': not repeated
};

// Parses a tone list; the error says which part is wrong and why.
Result<std::vector<TonePart>> parse_tone_list(std::string_view text);

// The list for a named tone in a country ("ru", else the North American ones), or "" when
// `name` is no tone's name.
std::string_view named_tone(std::string_view name, std::string_view country);

// Makes the samples of a tone list at 8 kHz, 16-bit.
class ToneSynth {
 public:
  static constexpr int kRate = 8000;
  static constexpr double kAmplitude = 0.25 * 32767;  // each frequency; two stay below half scale

  explicit ToneSynth(std::vector<TonePart> parts) : parts_(std::move(parts)) {}
  // Fills `out` with the next samples (silence once finished).
  void fill(std::span<int16_t> out);
  // Every part has played and none repeats.
  bool finished() const { return finished_; }

 private:
  void next_part();

  std::vector<TonePart> parts_;
  size_t part_ = 0;
  uint64_t sample_in_part_ = 0;
  bool first_round_ = true;
  bool finished_ = false;
  double phase_[2] = {0, 0};
};

}  // namespace zvon::tones
