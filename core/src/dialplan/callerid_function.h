// ${CALLERID(num)}, ${CALLERID(name)}, ${CALLERID(all)}: the channel's caller ID, readable and
// writable. Built into the dialplan engine, registered under the "core" owner. The channel's loop.
#pragma once
#include "zvon/application.h"

namespace zvon {

class CallerIdFunction final : public DialplanFunction {
 public:
  std::string_view name() const override { return "CALLERID"; }
  Result<std::string> read(Channel& channel, std::string_view args) override;
  Result<void> write(Channel& channel, std::string_view args, std::string_view value) override;
};

}  // namespace zvon
