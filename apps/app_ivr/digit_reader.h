// What Read does with each key: collect up to a number of digits, '#' ends early. Pure, so
// the rules are unit-tested without a call.
#pragma once
#include <cstddef>
#include <string>

namespace zvon::ivr {

class DigitReader {
 public:
  static constexpr size_t kMaxDigits = 255;  // Read's limit, as in Asterisk

  // `max_digits` 0 means up to kMaxDigits, ended by '#' or the timeout.
  explicit DigitReader(size_t max_digits)
      : max_(max_digits == 0 || max_digits > kMaxDigits ? kMaxDigits : max_digits) {}

  enum class State { Reading, Complete };
  // A key was pressed: '#' completes the input (and is not part of it); the last allowed
  // digit completes it too.
  State key(char symbol);
  bool complete() const { return complete_; }
  const std::string& digits() const { return digits_; }

 private:
  size_t max_;
  std::string digits_;
  bool complete_ = false;
};

}  // namespace zvon::ivr
