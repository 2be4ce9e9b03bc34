// A module whose whole job is a few dialplan applications: it owns them and keeps their
// registrations, which go first when it is destroyed (the apps outlive their registration).
//
//   ZVON_MODULE("app_wait", "Wait(): pauses the dialplan", "", zvon::ApplicationModule<Wait>::load)
#pragma once
#include <memory>
#include <tuple>
#include <vector>

#include "zvon/core.h"

namespace zvon {

template <class... Apps>
class ApplicationModule final : public Module {
 public:
  static Result<std::unique_ptr<Module>> load(ModuleContext& ctx) {
    auto m = std::make_unique<ApplicationModule>();
    Result<void> status;  // the first failure stops the rest
    std::apply([&](auto&... app) { ((status = status ? m->add(ctx, app) : status), ...); }, m->apps_);
    if (!status) return status.error();
    return std::unique_ptr<Module>(std::move(m));
  }

 private:
  Result<void> add(ModuleContext& ctx, Application& app) {
    auto r = ctx.add_application(app);
    if (!r) return r.error();
    registrations_.push_back(std::move(*r));
    return {};
  }

  std::tuple<Apps...> apps_;
  std::vector<Registration> registrations_;  // after apps_: unregistered before they go
};

}  // namespace zvon
