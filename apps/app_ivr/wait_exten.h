// WaitExten([seconds]): waits for the caller to dial an extension of the current context and
// goes there (priority 1). Keys pressed earlier and not yet used (during Background) count
// as the start of the number. After each key it goes at once when no longer extension could
// still match, and otherwise waits up to TIMEOUT(digit) (5 s) for the next key. Nothing
// within `seconds` (default TIMEOUT(response), 10 s): the t extension; a number no extension
// matches: the i extension, with INVALID_EXTEN set to it. Without t or i, e is used
// (EXCEPTION says why); without that either, the call ends, as in Asterisk.
#pragma once
#include "zvon/application.h"

namespace zvon::ivr {

class WaitExten final : public Application {
 public:
  std::string_view name() const override { return "WaitExten"; }
  std::string_view synopsis() const override {
    return "Waits for the caller to dial an extension and goes there";
  }
  std::string_view usage() const override { return "WaitExten([seconds])"; }
  Task<AppResult> exec(Channel& channel, const AppArgs& args) override;
};

}  // namespace zvon::ivr
