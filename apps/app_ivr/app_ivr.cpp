// The voice-menu applications: Background, WaitExten, Read, and the TIMEOUT() function
// WaitExten reads. One module, since they share how the caller's keys are kept and used
// (digit_wait.h); each application is in its own file.
#include "background.h"
#include "read.h"
#include "timeout_function.h"
#include "wait_exten.h"
#include "zvon/core.h"

namespace zvon::ivr {
namespace {

class IvrModule final : public Module {
 public:
  Background background;
  WaitExten wait_exten;
  Read read;
  TimeoutFunction timeout;
  std::vector<Registration> registrations;  // declared last: unregistered first
};

Result<std::unique_ptr<Module>> load(ModuleContext& ctx) {
  auto m = std::make_unique<IvrModule>();
  for (Application* app : {static_cast<Application*>(&m->background),
                           static_cast<Application*>(&m->wait_exten),
                           static_cast<Application*>(&m->read)}) {
    auto r = ctx.add_application(*app);
    if (!r) return r.error();
    m->registrations.push_back(std::move(*r));
  }
  auto r = ctx.add_function(m->timeout);
  if (!r) return r.error();
  m->registrations.push_back(std::move(*r));
  return std::unique_ptr<Module>(std::move(m));
}

}  // namespace
}  // namespace zvon::ivr

ZVON_MODULE("app_ivr", "Background(), WaitExten(), Read(), TIMEOUT(): voice menus", "",
            zvon::ivr::load)
