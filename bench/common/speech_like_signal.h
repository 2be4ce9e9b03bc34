// The test signal of the media benchmarks: two tones (f1, 440 Hz unless told, and 1230 Hz) under a 3 Hz envelope,
// which keeps a speech codec's voice paths busy the way talk does, unlike a steady tone or
// silence (DTX would send nearly nothing).
#pragma once
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <numbers>
#include <vector>

namespace zvon::bench {

inline std::vector<int16_t> speech_like_signal(size_t samples, int rate, double f1 = 440) {
  std::vector<int16_t> s(samples);
  for (size_t i = 0; i < samples; ++i) {
    double t = double(i) / rate;
    double envelope = 0.6 + 0.4 * std::sin(2 * std::numbers::pi * 3 * t);
    double v = 0.3 * std::sin(2 * std::numbers::pi * f1 * t) + 0.15 * std::sin(2 * std::numbers::pi * 1230 * t);
    s[i] = int16_t(std::lround(32767 * envelope * v));
  }
  return s;
}

}  // namespace zvon::bench
