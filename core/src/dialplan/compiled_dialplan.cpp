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
  auto it = labels.find(label_or_number);
  if (it == labels.end()) return std::nullopt;
  return it->second;
}

void CompiledExtension::index() {
  by_number_.clear();
  if (priorities.empty()) return;
  const int last = priorities.rbegin()->first;
  if (size_t(last) > 4 * priorities.size() + 16) return;  // 1, 2, 1000000: keep the map
  by_number_.assign(size_t(last) + 1, nullptr);
  for (auto& [number, p] : priorities) by_number_[size_t(number)] = &p;
}

void CompiledContext::index() {
  for (auto& [name, ext] : exact) ext.index();
  for (auto& ext : patterns) ext.index();
  pattern_index_ = PatternIndex();
  for (size_t i = 0; i < patterns.size(); ++i) pattern_index_.add(*patterns[i].pattern, int(i));
  // Sorted by the first eight bytes as a big-endian number first (the same order as the text's
  // for those bytes, a shorter name padded with zeros coming first), the text only on a tie:
  // an integer comparison instead of a memcmp call, a quarter of a 100,000-line compile.
  struct Keyed {
    uint64_t head;
    std::string_view name;
  };
  std::vector<Keyed> keyed;
  keyed.reserve(exact.size());
  for (auto& [name, ext] : exact) {
    uint64_t head = 0;
    for (size_t i = 0; i < 8; ++i)
      head = head << 8 | (i < name.size() ? static_cast<unsigned char>(name[i]) : 0u);
    keyed.push_back({head, name});
  }
  std::sort(keyed.begin(), keyed.end(), [](const Keyed& a, const Keyed& b) {
    return a.head != b.head ? a.head < b.head : a.name < b.name;
  });
  exact_sorted_.clear();
  exact_sorted_.reserve(keyed.size());
  for (const Keyed& k : keyed) exact_sorted_.push_back(k.name);
}

const CompiledExtension* CompiledContext::match(std::string_view exten) const {
  if (auto it = exact.find(exten); it != exact.end()) return &it->second;
  if (patterns.empty()) return nullptr;
  int rank = pattern_index_.best(exten);
  return rank < 0 ? nullptr : &patterns[size_t(rank)];
}

DigitMatch CompiledContext::lookahead(std::string_view exten) const {
  DigitMatch m;
  m.exact = match(exten) != nullptr;
  // The first name after `exten` in sorted order is the shortest one it begins, if any.
  auto it = std::upper_bound(exact_sorted_.begin(), exact_sorted_.end(), exten);
  m.more = (it != exact_sorted_.end() && it->size() > exten.size() &&
            it->substr(0, exten.size()) == exten) ||
           pattern_index_.matches_more(exten);
  return m;
}

const CompiledExtension* CompiledContext::by_name(std::string_view name) const {
  if (auto it = exact.find(name); it != exact.end()) return &it->second;
  for (const CompiledExtension& e : patterns)
    if (e.name == name) return &e;
  return nullptr;
}

const CompiledContext* CompiledDialplan::context(std::string_view name) const {
  auto it = contexts.find(name);
  return it == contexts.end() ? nullptr : &it->second;
}

namespace {

// Each context reached through includes, once, in the order they are searched.
template <class Visit>
bool visit_included(const CompiledDialplan& plan, const CompiledContext& c, std::time_t now,
                    std::vector<const CompiledContext*>& seen, const Visit& visit) {
  if (visit(c)) return true;
  seen.push_back(&c);
  for (const CompiledInclude& inc : c.includes) {
    if (inc.when && !inc.when->matches(now)) continue;
    const CompiledContext* other = plan.context(inc.context);
    if (!other || std::find(seen.begin(), seen.end(), other) != seen.end()) continue;
    if (visit_included(plan, *other, now, seen, visit)) return true;
  }
  return false;
}

}  // namespace

DigitMatch CompiledDialplan::lookahead(std::string_view context_name, std::string_view exten,
                                       std::time_t now) const {
  DigitMatch m;
  const CompiledContext* c = context(context_name);
  if (!c) return m;
  std::vector<const CompiledContext*> seen;
  visit_included(*this, *c, now, seen, [&](const CompiledContext& ctx) {
    DigitMatch here = ctx.lookahead(exten);
    m.exact = m.exact || here.exact;
    m.more = m.more || here.more;
    return m.exact && m.more;  // nothing left to learn
  });
  return m;
}

const CompiledExtension* CompiledDialplan::match(std::string_view context_name,
                                                 std::string_view exten, std::time_t now) const {
  const CompiledContext* c = context(context_name);
  if (!c) return nullptr;
  if (c->includes.empty()) return c->match(exten);
  // A context included twice (or a loop of includes) is searched once.
  std::vector<const CompiledContext*> seen;
  const CompiledExtension* found = nullptr;
  visit_included(*this, *c, now, seen, [&](const CompiledContext& ctx) {
    found = ctx.match(exten);
    return found != nullptr;
  });
  return found;
}

const CompiledExtension* CompiledDialplan::match(std::string_view context_name,
                                                 std::string_view exten) const {
  // The clock only matters to includes: a context without any needs no time() call.
  const CompiledContext* c = context(context_name);
  if (c && c->includes.empty()) return c->match(exten);
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
