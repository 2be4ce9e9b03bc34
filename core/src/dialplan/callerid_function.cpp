#include "dialplan/callerid_function.h"

#include "zvon/channel.h"
#include "zvon/log.h"

namespace zvon {

namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out)
    if (c >= 'A' && c <= 'Z') c = char(c - 'A' + 'a');
  return out;
}

}  // namespace

Result<std::string> CallerIdFunction::read(Channel& channel, std::string_view args) {
  std::string what = lower(args);
  const CallerId& id = channel.caller();
  if (what == "num" || what == "number") return id.number;
  if (what == "name") return id.name;
  if (what == "all") {
    if (id.name.empty()) return id.number;
    return cat('"', id.name, "\" <", id.number, ">");
  }
  return make_error(cat("CALLERID(", args, "): ask for num, name or all"));
}

Result<void> CallerIdFunction::write(Channel& channel, std::string_view args, std::string_view value) {
  std::string what = lower(args);
  CallerId& id = channel.caller();
  if (what == "num" || what == "number") {
    id.number = std::string(value);
  } else if (what == "name") {
    id.name = std::string(value);
  } else if (what == "all") {
    // "Name" <number>, or a bare number.
    size_t lt = value.find('<'), gt = value.rfind('>');
    if (lt != std::string_view::npos && gt != std::string_view::npos && gt > lt) {
      std::string_view name = value.substr(0, lt);
      while (!name.empty() && (name.back() == ' ' || name.back() == '"')) name.remove_suffix(1);
      while (!name.empty() && (name.front() == ' ' || name.front() == '"')) name.remove_prefix(1);
      id.name = std::string(name);
      id.number = std::string(value.substr(lt + 1, gt - lt - 1));
    } else {
      id.name.clear();
      id.number = std::string(value);
    }
  } else {
    return make_error(cat("CALLERID(", args, ") cannot be set: use num, name or all"));
  }
  return {};
}

}  // namespace zvon
