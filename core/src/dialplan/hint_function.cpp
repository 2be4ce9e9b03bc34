#include "dialplan/hint_function.h"

#include "dialplan/dialplan_engine_impl.h"
#include "zvon/log.h"

namespace zvon {

Result<std::string> HintFunction::read(Channel& channel, std::string_view args) {
  std::string_view exten = args, context = channel.location().context;
  if (size_t at = args.find('@'); at != std::string_view::npos) {
    exten = args.substr(0, at);
    context = args.substr(at + 1);
  }
  if (exten.empty()) return make_error("HINT() needs an extension: HINT(101) or HINT(101@internal)");
  auto plan = engine_.snapshot();
  const CompiledContext* c = plan ? plan->context(context) : nullptr;
  if (!c) return make_error(cat("HINT(", args, "): there is no context [", context, "]"));
  auto it = c->hints.find(exten);
  return it == c->hints.end() ? std::string() : it->second.devices;
}

}  // namespace zvon
