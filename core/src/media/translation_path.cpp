#include "translation_path.h"

#include <algorithm>

namespace zvon {
namespace {

// A resampled output sample costs about as much as this many coded samples (the polyphase
// filter runs 16 to 96 multiply-adds per output).
constexpr long kResampleWeight = 8;

bool is_g711(std::string_view n) { return n == "PCMU" || n == "PCMA"; }

}  // namespace

std::string TranslationPath::describe(const Codec& from, const Codec& to) const {
  std::string a(from.name()), b(to.name());
  switch (kind) {
    case Kind::Relay: return a + " (relayed)";
    case Kind::ByteMap: return a + " -> " + b + " (table)";
    case Kind::Transcode:
      return a + "@" + std::to_string(decode_rate) + (resamples() ? " -> resample -> " : " -> ") + b +
             "@" + std::to_string(encode_rate);
  }
  return a + " -> " + b;
}

TranslationPath find_translation_path(const Codec& from, const Codec& to) {
  TranslationPath best;
  if (&from == &to || from.name() == to.name()) return best;  // Relay, cost 0
  if (is_g711(from.name()) && is_g711(to.name())) {
    best.kind = TranslationPath::Kind::ByteMap;
    best.cost = 1;
    return best;
  }
  // The band both ends can carry: no path may go below it.
  const int band = std::min(from.pcm_rates().front(), to.pcm_rates().front());
  best.kind = TranslationPath::Kind::Transcode;
  best.cost = -1;
  for (int d : from.pcm_rates()) {
    for (int e : to.pcm_rates()) {
      if (std::min(d, e) < band) continue;
      long cost = long(d) + long(e) + (d != e ? kResampleWeight * std::max(d, e) : 0);
      if (best.cost < 0 || cost < best.cost) {
        best.decode_rate = d;
        best.encode_rate = e;
        best.cost = cost;
      }
    }
  }
  return best;
}

int encode_rate_for(const Codec& to, int in_rate) {
  return to.has_pcm_rate(in_rate) ? in_rate : to.pcm_rates().front();
}

}  // namespace zvon
