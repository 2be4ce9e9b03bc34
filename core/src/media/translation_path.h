// The translation registry's decision: how audio of one codec becomes another's, picked by
// cost. Codecs that share a PCM rate meet there without a resampler (Opus decodes straight to
// 8 kHz for a G.711 leg, G.722 to 8 kHz through SpanDSP's narrowband mode); G.711 μ-law and
// A-law map byte to byte. Among the paths that keep the widest audio band both codecs carry,
// the cheapest wins. Pure: any thread.
#pragma once
#include <string>

#include "zvon/codec.h"

namespace zvon {

struct TranslationPath {
  enum class Kind {
    Relay,      // the same codec: packets go through untouched
    ByteMap,    // G.711 μ-law <-> A-law by table, no linear PCM
    Transcode,  // decode at decode_rate, resample when the rates differ, encode at encode_rate
  };
  Kind kind = Kind::Relay;
  int decode_rate = 0;
  int encode_rate = 0;
  // Relative work per second of audio (samples touched, a resampled sample counting as
  // several): only for comparing paths.
  long cost = 0;

  bool resamples() const { return kind == Kind::Transcode && decode_rate != encode_rate; }
  // "opus@8000 -> PCMU@8000", "G722@16000 -> resample -> L16@8000", "PCMU -> PCMA (table)".
  std::string describe(const Codec& from, const Codec& to) const;
};

TranslationPath find_translation_path(const Codec& from, const Codec& to);

// PCM at `in_rate` (a prompt, always 8 kHz) into `to`: the encoder's PCM rate, equal to
// in_rate when the codec has it (no resampling), else the codec's best.
int encode_rate_for(const Codec& to, int in_rate);

}  // namespace zvon
