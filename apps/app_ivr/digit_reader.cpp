#include "digit_reader.h"

namespace zvon::ivr {

DigitReader::State DigitReader::key(char symbol) {
  if (complete_) return State::Complete;
  if (symbol == '#') {
    complete_ = true;
  } else {
    digits_.push_back(symbol);
    if (digits_.size() >= max_) complete_ = true;
  }
  return complete_ ? State::Complete : State::Reading;
}

}  // namespace zvon::ivr
