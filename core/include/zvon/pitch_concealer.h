// Packet-loss concealment by pitch-period repetition, faded out, with an overlap-add into the
// first good audio after the gap (SpanDSP's plc_*, as ITU-T G.711 Appendix I does it), for
// codec modules whose decoders have no concealment of their own (G.711, G.722). Header-only:
// codec modules link SpanDSP themselves.
//
// Why not plc_* directly: SpanDSP's plc_fillin() shifts its history with an overlapping
// memcpy() when the history's write position is below half its length (which 20 ms frames
// leave it at), undefined behaviour that AddressSanitizer stops on. Handing it the last
// PLC_HISTORY_LEN samples in one block just before a gap leaves that position at 0, where it
// copies nothing. One stream, one thread; nothing is allocated after construction.
#pragma once
#include <stdint.h>  // SpanDSP's headers use the C integer types without including them
#include <spandsp/telephony.h>
#include <spandsp/plc.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <memory>
#include <span>

namespace zvon {

class PitchConcealer {
 public:
  PitchConcealer() : plc_(plc_init(nullptr)) {}
  bool valid() const { return plc_ != nullptr; }

  // Decoded audio, in order: remembered for a later gap (and blended into the end of one).
  void heard(std::span<int16_t> pcm) {
    if (pcm.empty()) return;
    plc_rx(plc_.get(), pcm.data(), int(pcm.size()));
    concealing_ = false;
    const size_t n = std::min(pcm.size(), history_.size());
    std::memmove(history_.data(), history_.data() + n, (history_.size() - n) * sizeof(int16_t));
    std::copy(pcm.end() - long(n), pcm.end(), history_.end() - long(n));
  }
  // Fills `out` standing in for lost audio; returns the samples written.
  size_t conceal(std::span<int16_t> out) {
    if (!concealing_) {
      plc_rx(plc_.get(), history_.data(), int(history_.size()));
      concealing_ = true;
    }
    int n = plc_fillin(plc_.get(), out.data(), int(out.size()));
    return n > 0 ? size_t(n) : 0;
  }

 private:
  struct Free {
    void operator()(plc_state_t* s) const { plc_free(s); }
  };
  std::unique_ptr<plc_state_t, Free> plc_;
  std::array<int16_t, PLC_HISTORY_LEN> history_{};
  bool concealing_ = false;
};

}  // namespace zvon
