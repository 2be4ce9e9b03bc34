// Read(variable[,file[&file2...][,maxdigits[,options[,attempts[,timeout]]]]]): plays the
// prompt (the first key stops it) and reads the caller's digits into `variable`. Input ends
// with '#' (not stored), with `maxdigits` digits (0 or none: up to 255), or when no key comes
// within `timeout` seconds (0 or none: 10; also the wait between keys). With nothing entered
// the prompt is played again, up to `attempts` times (0 or none: 1). Keys typed ahead count.
// READSTATUS: OK, TIMEOUT (what was entered so far is still stored), SKIPPED, HANGUP, ERROR.
// Options: s (skip when not answered), n (read without answering).
#pragma once
#include "zvon/application.h"

namespace zvon::ivr {

class Read final : public Application {
 public:
  static constexpr double kDefaultTimeoutSeconds = 10;

  std::string_view name() const override { return "Read"; }
  std::string_view synopsis() const override { return "Reads the caller's digits into a variable"; }
  std::string_view usage() const override {
    return "Read(variable[,file[&file2...][,maxdigits[,s|n[,attempts[,timeout]]]]])";
  }
  Task<AppResult> exec(Channel& channel, const AppArgs& args) override;
};

}  // namespace zvon::ivr
