#include "dialplan/pattern_index.h"

namespace zvon {

namespace {

// Patterns come in rank order, so the first one to claim a place has the lowest rank.
void claim(int& slot, int rank) {
  if (slot < 0) slot = rank;
}

void consider(int rank, int& best) {
  if (rank >= 0 && (best < 0 || rank < best)) best = rank;
}

}  // namespace

void PatternIndex::add(const ExtensionPattern& pattern, int rank) {
  uint32_t node = 0;
  for (const ExtensionPattern::Element& e : pattern.elements()) {
    switch (e.kind) {
      case ExtensionPattern::Element::OneOrMore:
        claim(nodes_[node].one_or_more, rank);
        return;
      case ExtensionPattern::Element::ZeroOrMore:
        claim(nodes_[node].zero_or_more, rank);
        return;
      case ExtensionPattern::Element::Set: {
        uint32_t next = 0;
        for (const Edge& edge : nodes_[node].edges)
          if (edge.chars == e.chars) next = edge.child;
        if (next == 0) {
          next = uint32_t(nodes_.size());
          nodes_.emplace_back();  // may move nodes_: index again below
          nodes_[node].edges.push_back(Edge{e.chars, next});
        }
        node = next;
      }
    }
  }
  claim(nodes_[node].ends, rank);
}

void PatternIndex::best_from(uint32_t index, std::string_view exten, size_t pos, int& best) const {
  const Node& node = nodes_[index];
  consider(node.zero_or_more, best);
  if (pos == exten.size()) {
    consider(node.ends, best);
    return;
  }
  consider(node.one_or_more, best);
  const unsigned char c = static_cast<unsigned char>(exten[pos]);
  for (const Edge& edge : node.edges)
    if (edge.chars.test(c)) best_from(edge.child, exten, pos + 1, best);
}

int PatternIndex::best(std::string_view exten) const {
  int best = -1;
  best_from(0, exten, 0, best);
  return best;
}

bool PatternIndex::more_from(uint32_t index, std::string_view exten, size_t pos) const {
  const Node& node = nodes_[index];
  if (node.one_or_more >= 0) return true;  // '.' takes the rest and any digit after it
  if (pos == exten.size()) return !node.edges.empty();
  const unsigned char c = static_cast<unsigned char>(exten[pos]);
  for (const Edge& edge : node.edges)
    if (edge.chars.test(c) && more_from(edge.child, exten, pos + 1)) return true;
  return false;
}

bool PatternIndex::matches_more(std::string_view exten) const { return more_from(0, exten, 0); }

}  // namespace zvon
