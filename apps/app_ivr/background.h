// Background(file[&file2...][,options]): plays a menu's prompts and stops at the caller's
// first key, leaving the keys for WaitExten (or Read) to use. When keys are already waiting
// (the caller typed ahead) it plays nothing. Answers first unless told otherwise.
// Options: s (skip when the call is not answered), n (do not answer; needs early media).
// Sets BACKGROUNDSTATUS to SUCCESS or FAILED (a prompt could not be played).
#pragma once
#include "zvon/application.h"

namespace zvon::ivr {

class Background final : public Application {
 public:
  std::string_view name() const override { return "Background"; }
  std::string_view synopsis() const override {
    return "Plays prompts that the caller's keys interrupt; the keys stay for WaitExten";
  }
  std::string_view usage() const override { return "Background(file[&file2...][,s|n])"; }
  Task<AppResult> exec(Channel& channel, const AppArgs& args) override;
};

}  // namespace zvon::ivr
