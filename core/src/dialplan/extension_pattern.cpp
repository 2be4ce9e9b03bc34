#include "dialplan/extension_pattern.h"

#include <cctype>

#include "zvon/log.h"

namespace zvon {

namespace {

bool literal_allowed(unsigned char c) {
  return std::isalnum(c) || c == '*' || c == '#' || c == '+';
}

}  // namespace

Result<ExtensionPattern> ExtensionPattern::parse(std::string_view text, size_t* error_offset) {
  auto fail = [&](size_t at, std::string what) -> Result<ExtensionPattern> {
    if (error_offset) *error_offset = at;
    return make_error(std::move(what));
  };
  if (!is_pattern(text)) return fail(0, cat("pattern '", text, "' must start with '_'"));

  ExtensionPattern p;
  p.text_ = std::string(text);
  auto add_range = [](Element& e, unsigned char from, unsigned char to) {
    for (unsigned c = from; c <= to; ++c) e.chars.set(c);
  };
  for (size_t i = 1; i < text.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(text[i]);
    if (!p.elements_.empty() && p.elements_.back().kind != Element::Set)
      return fail(i, cat("'", text.substr(i), "' after '", text[i - 1] == '!' ? "!" : ".",
                         "' in pattern '", text, "' can never be reached: the wildcard already "
                         "matches the rest of the number"));
    if (c == '-') continue;  // digit grouping, as in _1-800-XXX: no meaning
    Element e;
    switch (c) {
      case 'X': case 'x': add_range(e, '0', '9'); break;
      case 'Z': case 'z': add_range(e, '1', '9'); break;
      case 'N': case 'n': add_range(e, '2', '9'); break;
      case '.': e.kind = Element::OneOrMore; break;
      case '!': e.kind = Element::ZeroOrMore; break;
      case '[': {
        size_t close = text.find(']', i + 1);
        if (close == std::string_view::npos)
          return fail(i, cat("unclosed '[' in pattern '", text, "': a set is written like [1-5]"));
        std::string_view set = text.substr(i + 1, close - i - 1);
        if (set.empty()) return fail(i, cat("empty set '[]' in pattern '", text, "'"));
        for (size_t k = 0; k < set.size(); ++k) {
          unsigned char from = static_cast<unsigned char>(set[k]);
          if (from == '[') return fail(i + 1 + k, cat("'[' inside a set in pattern '", text, "'"));
          if (k + 2 < set.size() && set[k + 1] == '-') {
            unsigned char to = static_cast<unsigned char>(set[k + 2]);
            if (to < from)
              return fail(i + 1 + k, cat("range '", set.substr(k, 3), "' in pattern '", text,
                                         "' runs backwards; write [", char(to), "-", char(from), "]"));
            add_range(e, from, to);
            k += 2;
          } else {
            e.chars.set(from);
          }
        }
        i = close;
        break;
      }
      case '/':
        return fail(i, cat("caller ID matching ('", text.substr(i), "') is not supported yet"));
      default:
        if (!literal_allowed(c))
          return fail(i, cat("'", text.substr(i, 1), "' is not allowed in pattern '", text,
                             "' (use digits, letters, * # +, X Z N, [sets], . and !)"));
        e.chars.set(c);
    }
    if (e.kind == Element::Set) {
      e.count = e.chars.count();
      for (unsigned k = 0; k < 256; ++k)
        if (e.chars.test(k)) {
          e.lowest = static_cast<unsigned char>(k);
          break;
        }
    }
    p.elements_.push_back(e);
  }
  if (p.elements_.empty()) return fail(0, cat("pattern '", text, "' matches nothing: add digits after '_'"));
  return p;
}

bool ExtensionPattern::matches(std::string_view exten) const {
  size_t pos = 0;
  for (const Element& e : elements_) {
    switch (e.kind) {
      case Element::OneOrMore: return pos < exten.size();
      case Element::ZeroOrMore: return true;
      case Element::Set:
        if (pos >= exten.size() || !e.chars.test(static_cast<unsigned char>(exten[pos]))) return false;
        ++pos;
    }
  }
  return pos == exten.size();
}

// The end of a pattern ranks before everything: "nothing more" is the most specific thing a
// position can say. It only competes with '!' for the same numbers (a set or '.' needs one more
// digit), so _1XX wins over _1XX! for 123 (Asterisk's sort puts '!' first there).
int ExtensionPattern::rank(const std::vector<Element>& elements, size_t index) {
  if (index >= elements.size()) return 0;
  switch (elements[index].kind) {
    case Element::Set: return 1;
    case Element::OneOrMore: return 2;
    case Element::ZeroOrMore: return 3;
  }
  return 3;
}

int ExtensionPattern::compare(const ExtensionPattern& a, const ExtensionPattern& b) {
  for (size_t i = 0;; ++i) {
    int ra = rank(a.elements_, i), rb = rank(b.elements_, i);
    if (ra != rb) return ra < rb ? -1 : 1;
    if (ra != 1) {
      if (ra == 0) return 0;  // both ended
      return 0;               // both wildcards: nothing follows them
    }
    const Element& ea = a.elements_[i];
    const Element& eb = b.elements_[i];
    if (ea.count != eb.count) return ea.count < eb.count ? -1 : 1;
    if (ea.lowest != eb.lowest) return ea.lowest < eb.lowest ? -1 : 1;
    if (ea.chars != eb.chars) {
      for (unsigned k = 0; k < 256; ++k)
        if (ea.chars.test(k) != eb.chars.test(k)) return ea.chars.test(k) ? -1 : 1;
    }
  }
}

}  // namespace zvon
