// The applications that steer the dialplan with the engine's own state: Gosub, GosubIf, Return
// (a stack of frames with LOCAL variables), While, EndWhile, ExitWhile (loops paired when the
// dialplan compiles) and GotoIfTime (the engine's clock, which `dialplan route at=` and tests
// set). Registered under the "core" owner. The channel's loop.
#pragma once
#include <memory>
#include <vector>

#include "zvon/application.h"

namespace zvon {

class DialplanEngineImpl;

class ControlFlowApps {
 public:
  explicit ControlFlowApps(DialplanEngineImpl& engine);
  std::vector<std::unique_ptr<Application>>& all() { return apps_; }

 private:
  std::vector<std::unique_ptr<Application>> apps_;
};

}  // namespace zvon
