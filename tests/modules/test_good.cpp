// A module with one application, for the loader's tests.
#include "zvon/core.h"

namespace {

class Noop final : public zvon::Application {
 public:
  std::string_view name() const override { return "TestNoop"; }
  std::string_view synopsis() const override { return "does nothing, for tests"; }
  zvon::Task<zvon::AppResult> exec(zvon::Channel&, const zvon::AppArgs&) override {
    co_return zvon::AppResult::Continue;
  }
};

class TestGood final : public zvon::Module {
 public:
  Noop app;
  zvon::Registration reg;
};

zvon::Result<std::unique_ptr<zvon::Module>> load(zvon::ModuleContext& ctx) {
  auto m = std::make_unique<TestGood>();
  auto r = ctx.add_application(m->app);
  if (!r) return r.error();
  m->reg = std::move(*r);
  return std::unique_ptr<zvon::Module>(std::move(m));
}

}  // namespace

ZVON_MODULE("test_good", "loader test module", "", load)
