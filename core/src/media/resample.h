// Sample-rate conversion for prompts read from files: a windowed-sinc interpolator that
// filters below the lower of the two Nyquist frequencies. Meant for whole files off the loop
// (the libuv threadpool), not for live streams. Pure function: any thread.
#pragma once
#include <cstdint>
#include <span>
#include <vector>

namespace zvon {

std::vector<int16_t> resample(std::span<const int16_t> in, int in_rate, int out_rate);

}  // namespace zvon
