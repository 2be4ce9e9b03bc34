// A POSIX extended regular expression (regcomp/regexec, what Asterisk's =~ and REGEX() use),
// compiled once and freed with its owner. Matching is read-only: any thread.
#pragma once
#include <regex.h>

#include <optional>
#include <string>
#include <string_view>

#include "zvon/result.h"

namespace zvon {

class PosixRegex {
 public:
  // Fails with the library's explanation ("Unmatched [ or [^") for a bad pattern.
  static Result<PosixRegex> compile(std::string_view pattern, bool icase = false);
  PosixRegex(PosixRegex&& other) noexcept : regex_(other.regex_), live_(other.live_) {
    other.live_ = false;
  }
  PosixRegex& operator=(PosixRegex&&) = delete;
  PosixRegex(const PosixRegex&) = delete;
  ~PosixRegex() {
    if (live_) regfree(&regex_);
  }

  struct Match {
    size_t begin = 0, end = 0;           // the whole match
    std::optional<std::string> group;    // the asked-for ( ) group, when the pattern has it
  };
  // The first match anywhere in `text`, or nullopt; `group` picks which ( ) group to return.
  std::optional<Match> search(const std::string& text, size_t group = 1) const;
  size_t groups() const { return regex_.re_nsub; }

 private:
  PosixRegex() = default;
  regex_t regex_{};
  bool live_ = false;
};

}  // namespace zvon
