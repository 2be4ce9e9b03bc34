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

const CompiledExtension* CompiledDialplan::match(std::string_view context_name,
                                                 std::string_view exten) const {
  const CompiledContext* c = context(context_name);
  return c ? c->match(exten) : nullptr;
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
