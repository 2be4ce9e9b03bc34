// The patterns of one context as a trie over their elements, so a number is matched against
// all of them in one walk of its digits instead of one pattern after the other. Each pattern
// is known by its rank (its place in the order of specificity, ExtensionPattern::compare): of
// all patterns that match, the one of lowest rank wins, as when they were tried in order.
// Built once, immutable afterwards; any thread may read.
#pragma once
#include <cstdint>
#include <string_view>
#include <vector>

#include "dialplan/extension_pattern.h"

namespace zvon {

class PatternIndex {
 public:
  // Adds the pattern of rank `rank`; patterns must be added in rank order (0, 1, 2, ...).
  void add(const ExtensionPattern& pattern, int rank);

  // The lowest rank of a pattern matching all of `exten`, or -1.
  int best(std::string_view exten) const;
  // True when some pattern would match `exten` followed by one or more further digits
  // (Asterisk's "match more"). A pattern ending in '!' never asks for more: it matches early.
  bool matches_more(std::string_view exten) const;

 private:
  struct Edge {
    std::bitset<256> chars;
    uint32_t child = 0;
  };
  struct Node {
    std::vector<Edge> edges;
    int ends = -1;          // rank of the best pattern that ends here
    int one_or_more = -1;   // ... that continues with '.'
    int zero_or_more = -1;  // ... that continues with '!'
  };
  void best_from(uint32_t node, std::string_view exten, size_t pos, int& best) const;
  bool more_from(uint32_t node, std::string_view exten, size_t pos) const;

  std::vector<Node> nodes_{Node{}};  // nodes_[0] is the root
};

}  // namespace zvon
