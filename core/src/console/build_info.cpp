#include "console/build_info.h"

#include "zvon/version.h"

// The project's version comes from CMake; a build outside it still says something true.
#ifndef ZVON_VERSION
#define ZVON_VERSION "unknown"
#endif

namespace zvon {

std::string_view zvon_version() { return ZVON_VERSION; }
std::string_view zvon_build_fingerprint() { return ZVON_BUILD_FINGERPRINT; }

}  // namespace zvon
