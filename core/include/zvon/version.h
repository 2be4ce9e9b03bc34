// The module ABI: a module loads only when its major version and build fingerprint equal
// the core's. The fingerprint names the compiler, the standard library and a hash of these
// public headers, so a module built against other headers is refused before it runs.
#pragma once
#include <cstddef>  // defines _GLIBCXX_RELEASE / _LIBCPP_VERSION
#include "zvon/build_fingerprint.h"  // generated: ZVON_HEADERS_HASH

#define ZVON_ABI_MAJOR 1u
#define ZVON_ABI_MINOR 0u

#define ZVON_STRINGIFY2(x) #x
#define ZVON_STRINGIFY(x) ZVON_STRINGIFY2(x)

#if defined(__clang__)
#define ZVON_COMPILER_ID "clang-" __clang_version__
#elif defined(__GNUC__)
#define ZVON_COMPILER_ID "gcc-" ZVON_STRINGIFY(__GNUC__) "." ZVON_STRINGIFY(__GNUC_MINOR__)
#else
#define ZVON_COMPILER_ID "unknown-compiler"
#endif

#if defined(_GLIBCXX_RELEASE)
#define ZVON_STDLIB_ID "libstdc++-" ZVON_STRINGIFY(_GLIBCXX_RELEASE)
#elif defined(_LIBCPP_VERSION)
#define ZVON_STDLIB_ID "libc++-" ZVON_STRINGIFY(_LIBCPP_VERSION)
#else
#define ZVON_STDLIB_ID "unknown-stdlib"
#endif

#define ZVON_BUILD_FINGERPRINT ZVON_COMPILER_ID "/" ZVON_STDLIB_ID "/headers-" ZVON_HEADERS_HASH
