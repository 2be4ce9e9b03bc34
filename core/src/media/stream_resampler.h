// Sample-rate conversion of a live stream (a transcoded call leg): a polyphase windowed-sinc
// filter for any rational ratio (8 <-> 16 <-> 48 kHz), keeping its history between calls so
// chunks join without clicks. Everything is allocated in the constructor; process() does not
// allocate. One stream, one thread (the stream's loop).
#pragma once
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace zvon {

class StreamResampler {
 public:
  // Largest input process() takes at once: 120 ms at 48 kHz, the longest Opus packet.
  static constexpr size_t kMaxInput = 5760;

  StreamResampler(int in_rate, int out_rate);

  int in_rate() const { return in_rate_; }
  int out_rate() const { return out_rate_; }
  // Enough room in `out` for any input of `in` samples.
  size_t max_output(size_t in) const { return in * size_t(up_) / size_t(down_) + 2; }
  // Converts `in` (at most kMaxInput samples) into `out` (at least max_output(in.size()));
  // returns the samples written. Over time, exactly out_rate/in_rate samples per input.
  size_t process(std::span<const int16_t> in, std::span<int16_t> out);
  // Forgets the history (a new stream starts).
  void reset();

 private:
  int in_rate_, out_rate_;
  int up_, down_;             // out/in = up/down, reduced
  size_t taps_ = 0;           // filter taps per phase
  std::vector<float> phases_; // phase p's taps at [p * taps_, (p + 1) * taps_), newest sample first
  std::vector<float> buf_;    // taps_ - 1 samples of history, then the current input
  uint64_t pos_ = 0;          // the next output's position in buf_, in 1/up_ of a sample
};

}  // namespace zvon
