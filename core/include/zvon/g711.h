// G.711 μ-law and A-law by table lookup. The tables are built once at compile time in the
// core; codec_g711 encodes and decodes with them, and RTP relays transcode μ-law ↔ A-law
// with them without going through linear PCM. Pure functions: any thread.
#pragma once
#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

namespace zvon::g711 {

namespace tables {
// Indexed by the top 14 bits (μ-law) / 13 bits (A-law) of a 16-bit sample.
extern const std::array<uint8_t, 1 << 14> linear_to_ulaw;
extern const std::array<uint8_t, 1 << 13> linear_to_alaw;
extern const std::array<int16_t, 256> ulaw_to_linear;
extern const std::array<int16_t, 256> alaw_to_linear;
extern const std::array<uint8_t, 256> ulaw_to_alaw;
extern const std::array<uint8_t, 256> alaw_to_ulaw;
}  // namespace tables

inline uint8_t encode_ulaw(int16_t s) { return tables::linear_to_ulaw[uint16_t(s) >> 2]; }
inline uint8_t encode_alaw(int16_t s) { return tables::linear_to_alaw[uint16_t(s) >> 3]; }
inline int16_t decode_ulaw(uint8_t c) { return tables::ulaw_to_linear[c]; }
inline int16_t decode_alaw(uint8_t c) { return tables::alaw_to_linear[c]; }
inline uint8_t ulaw_to_alaw(uint8_t c) { return tables::ulaw_to_alaw[c]; }
inline uint8_t alaw_to_ulaw(uint8_t c) { return tables::alaw_to_ulaw[c]; }

// Whole buffers; each returns the count written: min(in.size(), out.size()).
size_t encode_ulaw(std::span<const int16_t> in, std::span<uint8_t> out);
size_t encode_alaw(std::span<const int16_t> in, std::span<uint8_t> out);
size_t decode_ulaw(std::span<const uint8_t> in, std::span<int16_t> out);
size_t decode_alaw(std::span<const uint8_t> in, std::span<int16_t> out);
// In place.
void ulaw_to_alaw(std::span<uint8_t> data);
void alaw_to_ulaw(std::span<uint8_t> data);

}  // namespace zvon::g711
