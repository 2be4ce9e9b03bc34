#include "dialplan/compiled_dialplan.h"

#include <algorithm>
#include <charconv>

namespace zvon {

std::optional<int> CompiledExtension::resolve(std::string_view label_or_number) const {
  int number = 0;
  auto [end, ec] = std::from_chars(label_or_number.data(),
                                   label_or_number.data() + label_or_number.size(), number);
  if (ec == std::errc() && end == label_or_number.data() + label_or_number.size()) {
    if (priorities.count(number)) return number;
    return std::nullopt;
  }
  auto it = labels.find(std::string(label_or_number));
  if (it == labels.end()) return std::nullopt;
  return it->second;
}

const CompiledExtension* CompiledContext::match(std::string_view exten) const {
  if (auto it = exact.find(std::string(exten)); it != exact.end()) return &it->second;
  for (const CompiledExtension& e : patterns)
    if (e.pattern->matches(exten)) return &e;
  return nullptr;
}

const CompiledExtension* CompiledContext::by_name(std::string_view name) const {
  if (auto it = exact.find(std::string(name)); it != exact.end()) return &it->second;
  for (const CompiledExtension& e : patterns)
    if (e.name == name) return &e;
  return nullptr;
}

const CompiledContext* CompiledDialplan::context(std::string_view name) const {
  auto it = contexts.find(std::string(name));
  return it == contexts.end() ? nullptr : &it->second;
}

namespace {

const CompiledExtension* match_included(const CompiledDialplan& plan, const CompiledContext& c,
                                        std::string_view exten, std::time_t now,
                                        std::vector<const CompiledContext*>& seen) {
  if (auto* e = c.match(exten)) return e;
  // A context included twice (or a loop of includes) is searched once.
  seen.push_back(&c);
  for (const CompiledInclude& inc : c.includes) {
    if (inc.when && !inc.when->matches(now)) continue;
    const CompiledContext* other = plan.context(inc.context);
    if (!other || std::find(seen.begin(), seen.end(), other) != seen.end()) continue;
    if (auto* e = match_included(plan, *other, exten, now, seen)) return e;
  }
  return nullptr;
}

}  // namespace

const CompiledExtension* CompiledDialplan::match(std::string_view context_name,
                                                 std::string_view exten, std::time_t now) const {
  const CompiledContext* c = context(context_name);
  if (!c) return nullptr;
  if (c->includes.empty()) return c->match(exten);
  std::vector<const CompiledContext*> seen;
  return match_included(*this, *c, exten, now, seen);
}

const CompiledExtension* CompiledDialplan::match(std::string_view context_name,
                                                 std::string_view exten) const {
  return match(context_name, exten, std::time(nullptr));
}

std::optional<std::string_view> CompiledDialplan::global(std::string_view name) const {
  // The last assignment wins, as in the file.
  for (auto it = globals.rbegin(); it != globals.rend(); ++it)
    if (it->first == name) return std::string_view(it->second);
  return std::nullopt;
}

size_t CompiledDialplan::extension_count() const {
  size_t n = 0;
  for (auto& [name, c] : contexts) n += c.extension_count();
  return n;
}

std::vector<std::string> CompiledDialplan::context_names() const {
  std::vector<std::string> names;
  for (auto& [name, c] : contexts) names.push_back(name);
  std::sort(names.begin(), names.end());
  return names;
}

}  // namespace zvon
