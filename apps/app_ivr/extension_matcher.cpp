#include "extension_matcher.h"

namespace zvon::ivr {
namespace {

// Breadth first, so the common answer (a one-key-longer extension exists) comes quickly.
bool extends_at(std::string& probe, size_t depth, const ExtensionExists& exists) {
  for (char c : kDtmfSymbols.substr(0, 12)) {  // 0-9 * #: what phones have keys for
    probe.push_back(c);
    bool found = depth == 1 ? exists(probe) : extends_at(probe, depth - 1, exists);
    probe.pop_back();
    if (found) return true;
  }
  return false;
}

}  // namespace

bool could_extend(std::string_view dialed, const ExtensionExists& exists, size_t depth) {
  std::string probe(dialed);
  for (size_t d = 1; d <= depth; ++d)
    if (extends_at(probe, d, exists)) return true;
  return false;
}

ExtensionCollector::Action ExtensionCollector::key(char symbol) {
  dialed_.push_back(symbol);
  const bool exact = exists_(dialed_);
  const bool longer = could_extend(dialed_, exists_);
  if (exact && !longer) {
    exten_ = dialed_;
    return Action::Go;
  }
  if (exact || longer) {
    complete_ = exact;
    return Action::Wait;
  }
  if (symbol == '#' && dialed_.size() > 1) {
    // '#' as the end of the number: what came before decides.
    dialed_.pop_back();
    if (exists_(dialed_)) {
      exten_ = dialed_;
      return Action::Go;
    }
    return Action::Invalid;
  }
  return Action::Invalid;
}

ExtensionCollector::Action ExtensionCollector::timed_out() {
  if (dialed_.empty()) return Action::Timeout;
  if (complete_) {
    exten_ = dialed_;
    return Action::Go;
  }
  return Action::Invalid;
}

}  // namespace zvon::ivr
