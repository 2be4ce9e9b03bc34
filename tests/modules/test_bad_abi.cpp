// Claims another ABI major version: the loader must refuse it before calling load().
#include <cstdlib>

#include "zvon/core.h"

namespace {
zvon::Result<std::unique_ptr<zvon::Module>> load(zvon::ModuleContext&) {
  std::abort();  // never reached: the descriptor check refuses the module first
}
}  // namespace

extern "C" __attribute__((visibility("default"))) const zvon::ModuleDescriptor zvon_module_descriptor = {
    ZVON_ABI_MAJOR + 1, 0, ZVON_BUILD_FINGERPRINT, "test_bad_abi", "wrong ABI", "", load};
