// load() fails with a reason: the loader reports it and keeps running.
#include "zvon/core.h"

namespace {
zvon::Result<std::unique_ptr<zvon::Module>> load(zvon::ModuleContext&) {
  return zvon::make_error("the test configuration says no");
}
}  // namespace

ZVON_MODULE("test_failing_load", "always fails to load", "", load)
