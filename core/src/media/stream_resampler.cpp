#include "stream_resampler.h"

#include <algorithm>
#include <cmath>
#include <numbers>
#include <numeric>

namespace zvon {
namespace {

// Taps per phase for each input sample the output steps over: about -60 dB of stop band with
// the Blackman window, enough for speech, at 16 multiply-adds per output sample when
// upsampling (more when decimating, where each output covers several inputs).
constexpr size_t kTapsPerStep = 16;
// The pass band ends this far below the lower Nyquist frequency, leaving room for the
// filter's transition band.
constexpr double kCutoffMargin = 0.9;

}  // namespace

StreamResampler::StreamResampler(int in_rate, int out_rate) : in_rate_(in_rate), out_rate_(out_rate) {
  int g = std::gcd(in_rate, out_rate);
  up_ = out_rate / g;
  down_ = in_rate / g;
  taps_ = kTapsPerStep * size_t(std::max(1, (down_ + up_ - 1) / up_));
  // The prototype low-pass runs at in_rate * up_; its cutoff sits below the lower Nyquist.
  const size_t n = taps_ * size_t(up_);
  const double fc = 0.5 / std::max(up_, down_) * kCutoffMargin;  // cycles per sample
  std::vector<double> h(n);
  double sum = 0;
  for (size_t j = 0; j < n; ++j) {
    double x = double(j) - double(n - 1) / 2;
    double sinc = std::abs(x) < 1e-9 ? 1.0 : std::sin(2 * std::numbers::pi * fc * x) / (std::numbers::pi * x);
    double w = 0.42 - 0.5 * std::cos(2 * std::numbers::pi * double(j) / double(n - 1)) +
               0.08 * std::cos(4 * std::numbers::pi * double(j) / double(n - 1));
    h[j] = (std::abs(x) < 1e-9 ? 2 * fc : sinc) * w;
    sum += h[j];
  }
  // Each phase sees one tap in up_: scale so a constant input comes out unchanged.
  phases_.resize(n);
  for (size_t p = 0; p < size_t(up_); ++p)
    for (size_t k = 0; k < taps_; ++k) phases_[p * taps_ + k] = float(h[p + k * size_t(up_)] * up_ / sum);
  buf_.assign(taps_ - 1 + kMaxInput, 0.0f);
  reset();
}

void StreamResampler::reset() {
  std::fill(buf_.begin(), buf_.end(), 0.0f);
  pos_ = uint64_t(taps_ - 1) * uint64_t(up_);  // the first output lines up with the first input
}

size_t StreamResampler::process(std::span<const int16_t> in, std::span<int16_t> out) {
  if (in.size() > kMaxInput) in = in.first(kMaxInput);
  const size_t hist = taps_ - 1;
  for (size_t i = 0; i < in.size(); ++i) buf_[hist + i] = in[i];
  const uint64_t end = uint64_t(hist + in.size()) * uint64_t(up_);  // first position past the input
  size_t written = 0;
  while (pos_ < end && written < out.size()) {
    const size_t i = size_t(pos_ / uint64_t(up_));
    const size_t phase = size_t(pos_ % uint64_t(up_));
    const float* taps = &phases_[phase * taps_];
    const float* x = &buf_[i];
    float acc = 0;
    for (size_t k = 0; k < taps_; ++k) acc += taps[k] * x[-long(k)];
    out[written++] = int16_t(std::clamp(std::lround(acc), -32768L, 32767L));
    pos_ += uint64_t(down_);
  }
  while (pos_ < end) pos_ += uint64_t(down_);  // `out` was too small: those outputs are lost
  // Keep the last taps_ - 1 samples as the next call's history.
  std::copy(buf_.begin() + long(in.size()), buf_.begin() + long(in.size() + hist), buf_.begin());
  pos_ -= uint64_t(in.size()) * uint64_t(up_);
  return written;
}

}  // namespace zvon
