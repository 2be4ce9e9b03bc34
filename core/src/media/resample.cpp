#include "resample.h"

#include <algorithm>
#include <cmath>
#include <numbers>

namespace zvon {
namespace {

// Zero crossings of the sinc kept on each side: the stop band reaches about -50 dB with the
// Hann window, plenty for telephone audio.
constexpr double kZeroCrossings = 12;
// The pass band ends this far below the new Nyquist frequency, leaving room for the
// filter's transition band.
constexpr double kCutoffMargin = 0.9;

double sinc(double x) {
  if (std::abs(x) < 1e-9) return 1.0;
  return std::sin(std::numbers::pi * x) / (std::numbers::pi * x);
}

}  // namespace

std::vector<int16_t> resample(std::span<const int16_t> in, int in_rate, int out_rate) {
  if (in_rate == out_rate || in.empty() || in_rate <= 0 || out_rate <= 0)
    return std::vector<int16_t>(in.begin(), in.end());
  const double step = double(in_rate) / out_rate;  // input samples per output sample
  // Cutoff in cycles per input sample.
  const double fc = 0.5 * std::min(1.0, 1.0 / step) * kCutoffMargin;
  const int half = int(std::ceil(kZeroCrossings / (2 * fc)));
  const size_t out_len = size_t(double(in.size()) / step);
  std::vector<int16_t> out(out_len);
  const long last = long(in.size()) - 1;
  for (size_t n = 0; n < out_len; ++n) {
    const double t = double(n) * step;
    const long center = long(std::floor(t));
    double acc = 0;
    for (long k = std::max(0L, center - half + 1); k <= std::min(last, center + half); ++k) {
      const double x = t - double(k);
      const double window = 0.5 * (1 + std::cos(std::numbers::pi * x / half));
      acc += in[size_t(k)] * 2 * fc * sinc(2 * fc * x) * window;
    }
    out[n] = int16_t(std::clamp(std::lround(acc), -32768L, 32767L));
  }
  return out;
}

}  // namespace zvon
