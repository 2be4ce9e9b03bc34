// Depends on test_good: loading it loads test_good first; test_good cannot unload under it.
#include "zvon/core.h"

namespace {
zvon::Result<std::unique_ptr<zvon::Module>> load(zvon::ModuleContext& ctx) {
  if (!ctx.core().find_application("TestNoop")) return zvon::make_error("TestNoop is missing");
  return std::make_unique<zvon::Module>();
}
}  // namespace

ZVON_MODULE("test_needs_good", "depends on test_good", "test_good", load)
