#include "tone_list.h"

#include <cmath>
#include <cstdlib>
#include <numbers>

namespace zvon::tones {
namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

bool parse_uint(std::string_view s, uint32_t max, uint32_t& out) {
  if (s.empty() || s.size() > 9) return false;
  uint32_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + uint32_t(c - '0');
  }
  if (v > max) return false;
  out = v;
  return true;
}

struct Named {
  std::string_view name, north_america, russia;
};
constexpr Named kNamed[] = {
    {"dial", "350+440", "425"},
    {"ring", "440+480/2000,0/4000", "425/800,0/3200"},
    {"busy", "480+620/500,0/500", "425/350,0/350"},
    {"congestion", "480+620/250,0/250", "425/175,0/175"},
};

}  // namespace

Result<std::vector<TonePart>> parse_tone_list(std::string_view text) {
  std::vector<TonePart> parts;
  size_t start = 0;
  int index = 0;
  while (start <= text.size()) {
    size_t comma = text.find(',', start);
    if (comma == std::string_view::npos) comma = text.size();
    std::string_view raw = trim(text.substr(start, comma - start));
    start = comma + 1;
    ++index;
    auto bad = [&](std::string why) {
      return make_error("tone part " + std::to_string(index) + " '" + std::string(raw) + "': " + why);
    };
    if (raw.empty()) return bad("is empty");
    TonePart part;
    std::string_view s = raw;
    if (s.front() == '!') {
      part.once = true;
      s.remove_prefix(1);
    }
    if (auto slash = s.find('/'); slash != std::string_view::npos) {
      if (!parse_uint(s.substr(slash + 1), 600000, part.duration_ms) || part.duration_ms == 0)
        return bad("the duration after / must be milliseconds from 1 to 600000");
      s = s.substr(0, slash);
    }
    if (s.find('*') != std::string_view::npos)
      return bad("modulated tones (*) are not supported; use + for two frequencies");
    size_t from = 0;
    while (from <= s.size()) {
      size_t plus = s.find('+', from);
      if (plus == std::string_view::npos) plus = s.size();
      uint32_t hz = 0;
      if (!parse_uint(s.substr(from, plus - from), 3999, hz))
        return bad("a frequency must be whole hertz from 0 to 3999 (8 kHz audio)");
      if (hz > 0) part.frequencies.push_back(double(hz));
      from = plus + 1;
    }
    if (part.frequencies.size() > 2) return bad("at most two frequencies play together");
    parts.push_back(std::move(part));
  }
  for (size_t i = 0; i + 1 < parts.size(); ++i)
    if (parts[i].duration_ms == 0)
      return make_error("tone part " + std::to_string(i + 1) +
                        " has no /duration, so the parts after it would never play");
  return parts;
}

std::string_view named_tone(std::string_view name, std::string_view country) {
  for (const auto& n : kNamed)
    if (n.name == name) return country == "ru" ? n.russia : n.north_america;
  return {};
}

void ToneSynth::next_part() {
  sample_in_part_ = 0;
  for (;;) {
    if (++part_ >= parts_.size()) {
      part_ = 0;
      first_round_ = false;
    }
    if (!first_round_ && parts_[part_].once) {
      // Went all the way round without a part to repeat: done.
      bool any = false;
      for (const auto& p : parts_) any = any || !p.once;
      if (!any) {
        finished_ = true;
        return;
      }
      continue;
    }
    return;
  }
}

void ToneSynth::fill(std::span<int16_t> out) {
  for (auto& sample : out) {
    if (finished_ || parts_.empty()) {
      sample = 0;
      continue;
    }
    const TonePart& p = parts_[part_];
    double v = 0;
    for (size_t f = 0; f < p.frequencies.size(); ++f) {
      v += std::sin(phase_[f]);
      phase_[f] += 2 * std::numbers::pi * p.frequencies[f] / kRate;
      if (phase_[f] > 2 * std::numbers::pi) phase_[f] -= 2 * std::numbers::pi;
    }
    sample = int16_t(std::lround(v * kAmplitude));
    if (p.duration_ms && ++sample_in_part_ >= uint64_t(p.duration_ms) * kRate / 1000) next_part();
  }
}

}  // namespace zvon::tones
