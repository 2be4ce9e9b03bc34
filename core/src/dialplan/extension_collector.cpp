#include "zvon/extension_collector.h"

namespace zvon {

ExtensionCollector::Action ExtensionCollector::key(char symbol) {
  dialed_.push_back(symbol);
  const DigitMatch m = lookup_(dialed_);
  if (m.exact && !m.more) {
    exten_ = dialed_;
    return Action::Go;
  }
  if (m.exact || m.more) {
    complete_ = m.exact;
    return Action::Wait;
  }
  if (symbol == '#' && dialed_.size() > 1) {
    // '#' as the end of the number: what came before decides.
    dialed_.pop_back();
    if (lookup_(dialed_).exact) {
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

}  // namespace zvon
