// An extension pattern ("_1XX", "_0[1-5].", "_9!") compiled into a sequence of character
// sets, matched against dialed numbers and ordered by specificity. Immutable after parse();
// any thread may use a parsed pattern.
#pragma once
#include <bitset>
#include <string>
#include <string_view>
#include <vector>

#include "zvon/result.h"

namespace zvon {

class ExtensionPattern {
 public:
  // Parses `text` with its leading '_'. The error says what is wrong and, through
  // `error_offset`, at which character of `text` (for file:line:column).
  static Result<ExtensionPattern> parse(std::string_view text, size_t* error_offset = nullptr);

  // True when `exten` (a dialed number) matches the whole pattern.
  bool matches(std::string_view exten) const;

  // Orders patterns the way they are tried: the more specific one first (negative).
  // Position by position: a single character beats a set, a smaller set beats a larger one,
  // any set beats '.', '.' beats '!'. At equal size the set with the lower characters comes
  // first, so the order is total and does not depend on the order of the file.
  static int compare(const ExtensionPattern& a, const ExtensionPattern& b);

  const std::string& text() const { return text_; }

  struct Element {
    enum Kind { Set, OneOrMore, ZeroOrMore } kind = Set;
    std::bitset<256> chars;  // for Set
    size_t count = 0;        // chars.count(), cached for ordering
    unsigned char lowest = 0;
  };
  // One per position; a wildcard ('.' or '!') can only be the last.
  const std::vector<Element>& elements() const { return elements_; }

 private:
  // Ranks the element at `index`, with one past the end meaning "the pattern ends here".
  static int rank(const std::vector<Element>& elements, size_t index);

  std::string text_;
  std::vector<Element> elements_;
};

// True when `exten` is written as a pattern (starts with '_').
inline bool is_pattern(std::string_view exten) { return !exten.empty() && exten.front() == '_'; }

}  // namespace zvon
