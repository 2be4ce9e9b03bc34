#include "zvon/media.h"

namespace zvon {

// Bounds-checked so valid() can use it: a header that claims more than the packet holds
// yields a size past the end, never a read past it.
size_t RtpPacket::header_size() const {
  if (n_ < kHeader) return kHeader;
  size_t size = kHeader + 4 * size_t(d_[0] & 0x0f);
  if (d_[0] & 0x10) {  // header extension: 16-bit profile, 16-bit length in 32-bit words
    if (n_ < size + 4) return size + 4;
    size += 4 + 4 * size_t(uint16_t(d_[size + 2] << 8 | d_[size + 3]));
  }
  return size;
}

size_t RtpPacket::padding_size() const {
  if (n_ < kHeader || !padded()) return 0;
  return d_[n_ - 1];
}

bool RtpPacket::valid() const {
  if (n_ < kHeader || (d_[0] >> 6) != 2) return false;
  size_t header = header_size();
  if (header > n_) return false;
  if (padded()) {
    size_t pad = d_[n_ - 1];
    if (pad == 0 || header + pad > n_) return false;
  }
  return true;
}

}  // namespace zvon
