// G.711 (ITU-T G.711, the classic segment/quantisation algorithm) computed into lookup
// tables at compile time, so encoding and decoding are one load per sample.
#include "zvon/g711.h"

#include <algorithm>
#include <array>

namespace zvon::g711 {
namespace {

constexpr int kSignBit = 0x80;
constexpr int kQuantMask = 0x0f;
constexpr int kSegShift = 4;
constexpr int kSegMask = 0x70;
constexpr int kUlawBias = 0x84;
constexpr int kUlawClip = 8159;  // in 14-bit units

constexpr int segment(int value, const std::array<int, 8>& ends) {
  for (int i = 0; i < 8; ++i)
    if (value <= ends[i]) return i;
  return 8;
}

// `v` is a 14-bit sample (the 16-bit sample shifted right by 2).
constexpr uint8_t ulaw_from_14bit(int v) {
  constexpr std::array<int, 8> ends{0x3f, 0x7f, 0xff, 0x1ff, 0x3ff, 0x7ff, 0xfff, 0x1fff};
  int mask = 0xff;
  if (v < 0) {
    v = -v;
    mask = 0x7f;
  }
  v = std::min(v, kUlawClip) + (kUlawBias >> 2);
  int seg = segment(v, ends);
  if (seg >= 8) return uint8_t(0x7f ^ mask);
  return uint8_t(((seg << 4) | ((v >> (seg + 1)) & 0xf)) ^ mask);
}

// `v` is a 13-bit sample (the 16-bit sample shifted right by 3).
constexpr uint8_t alaw_from_13bit(int v) {
  constexpr std::array<int, 8> ends{0x1f, 0x3f, 0x7f, 0xff, 0x1ff, 0x3ff, 0x7ff, 0xfff};
  int mask = 0xd5;
  if (v < 0) {
    mask = 0x55;
    v = -v - 1;
  }
  int seg = segment(v, ends);
  if (seg >= 8) return uint8_t(0x7f ^ mask);
  int a = seg << kSegShift;
  a |= (seg < 2 ? (v >> 1) : (v >> seg)) & kQuantMask;
  return uint8_t(a ^ mask);
}

constexpr int16_t ulaw_decode(uint8_t code) {
  int u = ~code & 0xff;
  int t = ((u & kQuantMask) << 3) + kUlawBias;
  t <<= (u & kSegMask) >> kSegShift;
  return int16_t((u & kSignBit) ? (kUlawBias - t) : (t - kUlawBias));
}

constexpr int16_t alaw_decode(uint8_t code) {
  int a = code ^ 0x55;
  int t = (a & kQuantMask) << 4;
  int seg = (a & kSegMask) >> kSegShift;
  if (seg == 0)
    t += 8;
  else if (seg == 1)
    t += 0x108;
  else
    t = (t + 0x108) << (seg - 1);
  return int16_t((a & kSignBit) ? t : -t);
}

template <size_t Bits, class F>
constexpr std::array<uint8_t, (size_t(1) << Bits)> encode_table(F encode) {
  std::array<uint8_t, (size_t(1) << Bits)> t{};
  constexpr int half = 1 << (Bits - 1);
  for (int i = 0; i < int(t.size()); ++i) t[i] = encode(i >= half ? i - 2 * half : i);
  return t;
}

template <class F>
constexpr std::array<int16_t, 256> decode_table(F decode) {
  std::array<int16_t, 256> t{};
  for (int i = 0; i < 256; ++i) t[i] = decode(uint8_t(i));
  return t;
}

}  // namespace

// Defined constexpr (built by the compiler) with the external linkage of their declarations.
namespace tables {
constexpr std::array<uint8_t, 1 << 14> linear_to_ulaw = encode_table<14>(ulaw_from_14bit);
constexpr std::array<uint8_t, 1 << 13> linear_to_alaw = encode_table<13>(alaw_from_13bit);
constexpr std::array<int16_t, 256> ulaw_to_linear = decode_table(ulaw_decode);
constexpr std::array<int16_t, 256> alaw_to_linear = decode_table(alaw_decode);
// Through linear PCM: μ-law's 14 bits and A-law's 13 bits meet at the coarser of the two.
constexpr std::array<uint8_t, 256> ulaw_to_alaw = [] {
  std::array<uint8_t, 256> t{};
  for (int i = 0; i < 256; ++i) t[i] = alaw_from_13bit(ulaw_decode(uint8_t(i)) >> 3);
  return t;
}();
constexpr std::array<uint8_t, 256> alaw_to_ulaw = [] {
  std::array<uint8_t, 256> t{};
  for (int i = 0; i < 256; ++i) t[i] = ulaw_from_14bit(alaw_decode(uint8_t(i)) >> 2);
  return t;
}();
}  // namespace tables

size_t encode_ulaw(std::span<const int16_t> in, std::span<uint8_t> out) {
  size_t n = std::min(in.size(), out.size());
  for (size_t i = 0; i < n; ++i) out[i] = encode_ulaw(in[i]);
  return n;
}

size_t encode_alaw(std::span<const int16_t> in, std::span<uint8_t> out) {
  size_t n = std::min(in.size(), out.size());
  for (size_t i = 0; i < n; ++i) out[i] = encode_alaw(in[i]);
  return n;
}

size_t decode_ulaw(std::span<const uint8_t> in, std::span<int16_t> out) {
  size_t n = std::min(in.size(), out.size());
  for (size_t i = 0; i < n; ++i) out[i] = decode_ulaw(in[i]);
  return n;
}

size_t decode_alaw(std::span<const uint8_t> in, std::span<int16_t> out) {
  size_t n = std::min(in.size(), out.size());
  for (size_t i = 0; i < n; ++i) out[i] = decode_alaw(in[i]);
  return n;
}

void ulaw_to_alaw(std::span<uint8_t> data) {
  for (auto& c : data) c = ulaw_to_alaw(c);
}

void alaw_to_ulaw(std::span<uint8_t> data) {
  for (auto& c : data) c = alaw_to_ulaw(c);
}

}  // namespace zvon::g711
