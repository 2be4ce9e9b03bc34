// ${HINT(exten[@context])}: the devices of an extension's hint (`exten => 101,hint,SIP/101`),
// empty when it has none; the context defaults to the channel's. Built into the dialplan
// engine. The channel's loop.
#pragma once
#include "zvon/application.h"

namespace zvon {

class DialplanEngineImpl;

class HintFunction final : public DialplanFunction {
 public:
  explicit HintFunction(DialplanEngineImpl& engine) : engine_(engine) {}
  std::string_view name() const override { return "HINT"; }
  Result<std::string> read(Channel& channel, std::string_view args) override;

 private:
  DialplanEngineImpl& engine_;
};

}  // namespace zvon
