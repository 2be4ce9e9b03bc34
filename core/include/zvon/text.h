// Comparing protocol and configuration words, whose case does not matter (SIP header and
// parameter names, codec names, "Digest", dialplan keywords).
#pragma once
#include <cctype>
#include <string_view>

namespace zvon {

// Equal but for ASCII case.
inline bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i])))
      return false;
  return true;
}

}  // namespace zvon
