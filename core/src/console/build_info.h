// What this build of zvon is: its version and the module ABI fingerprint. Any thread.
#pragma once
#include <string_view>

namespace zvon {

std::string_view zvon_version();
// The fingerprint modules must match (compiler, standard library, public headers' hash).
std::string_view zvon_build_fingerprint();

}  // namespace zvon
