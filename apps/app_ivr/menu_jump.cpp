#include "menu_jump.h"

#include <string>

#include "zvon/core.h"
#include "zvon/log.h"

namespace zvon::ivr {

bool jump_to(Channel& channel, std::string_view exten) {
  DialplanLocation& at = channel.location();
  auto priority = channel.core().dialplan().find_priority(at.context, exten, "1");
  if (!priority) return false;
  at.exten = std::string(exten);
  at.priority = *priority;
  return true;
}

bool jump_to_special(Channel& channel, std::string_view special, std::string_view what) {
  if (jump_to(channel, special)) return true;
  if (jump_to(channel, "e")) {
    channel.set_var("EXCEPTION", special == "t" ? "RESPONSETIMEOUT" : "INVALID");
    return true;
  }
  log(LogLevel::Notice, "app_ivr", channel.name(), ": ", what, ", but [",
      channel.location().context, "] has no '", special, "' or 'e' extension; hanging up");
  return false;
}

}  // namespace zvon::ivr
