// Set(NAME=value): sets a channel variable, or writes a function (Set(CALLERID(num)=101),
// Set(GLOBAL(X)=1), Set(LOCAL(x)=1), Set(DB(cf/101)=...)). An empty value unsets the variable.
// Set(_NAME=...) is inherited by the channels this one dials (one level), Set(__NAME=...)
// by theirs too (every level).
#include "zvon/application_module.h"
#include "zvon/core.h"
#include "zvon/log.h"

namespace zvon {
namespace {

class Set final : public InstantApplication {
 public:
  std::string_view name() const override { return "Set"; }
  std::string_view synopsis() const override { return "Sets a variable or a function's value"; }
  std::string_view usage() const override { return "Set(NAME=value) or Set(FUNCTION(args)=value)"; }
  AppResult run(Channel& channel, const AppArgs& args) override {
    // The value may hold commas: they were split off as further arguments.
    std::string text;
    for (size_t i = 0; i < args.size(); ++i) text += (i ? "," : "") + args[i];
    size_t eq = text.find('=');
    if (eq == std::string::npos || eq == 0) {
      log(LogLevel::Warning, "app_set", channel.name(), ": Set(", text, "): write ", usage());
      return AppResult::Continue;
    }
    std::string name = text.substr(0, eq);
    while (!name.empty() && name.back() == ' ') name.pop_back();
    std::string value = text.substr(eq + 1);
    if (size_t open = name.find('('); open != std::string::npos) {
      if (name.back() != ')') {
        log(LogLevel::Warning, "app_set", channel.name(), ": Set(", text, "): '", name, "' is missing its ')'");
        return AppResult::Continue;
      }
      std::string fn = name.substr(0, open);
      auto function = channel.core().find_function(fn);
      if (!function) {
        log(LogLevel::Error, "app_set", channel.name(), ": Set(", text, "): unknown function ", fn,
            "() (is its module loaded?)");
        return AppResult::Continue;
      }
      auto written = function->write(channel, name.substr(open + 1, name.size() - open - 2), value);
      if (!written) log(LogLevel::Error, "app_set", channel.name(), ": Set(", text, "): ", written.message());
      return AppResult::Continue;
    }
    // One variable whatever its underscores: Set(X=) after Set(__X=1) clears it.
    std::string base = name.substr(name.find_first_not_of('_') == std::string::npos ? 0 : name.find_first_not_of('_'));
    for (std::string variant : {base, "_" + base, "__" + base})
      if (variant != name) channel.unset_var(variant);
    if (value.empty())
      channel.unset_var(name);
    else
      channel.set_var(name, value);
    return AppResult::Continue;
  }
};

}  // namespace
}  // namespace zvon

ZVON_MODULE("app_set", "Set(): variables and function values", "", zvon::ApplicationModule<zvon::Set>::load)
