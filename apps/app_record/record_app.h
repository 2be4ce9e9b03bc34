// Record(file.ext[,silence[,maxduration[,options]]]): records what the caller says into a
// file (the format from its extension, see recording_format.h) until '#', `silence` seconds
// of silence (trimmed from the end), `maxduration` seconds, or hang-up. Plays a beep first.
// Options: a letter each, as Asterisk's:
//   n  do not answer (record early media)     s  skip (RECORD_STATUS=SKIP) when not answered
//   q  quiet: no beep                         t  '*' ends the recording instead of '#'
//   x  no key ends it                         y  any key ends it
//   k  keep the file on hang-up (always so in zvon: accepted for Asterisk dialplans)
// Sets RECORD_STATUS (DTMF, SILENCE, TIMEOUT, HANGUP, SKIP, ERROR) and RECORDED_FILE (the
// path without its extension). The file is complete and valid however the recording ends.
#pragma once
#include <string>

#include "zvon/application.h"

namespace zvon::record {

struct RecordSettings {
  std::string file;
  int silence_seconds = 0;  // 0: silence does not end it
  int max_seconds = 0;      // 0: no limit
  bool answer = true, skip_unanswered = false, beep = true;
  std::string terminators = "#";  // empty: none; "any": every key
};

// The arguments, or what is wrong with them in words.
Result<RecordSettings> parse_record_args(const AppArgs& args);

class RecordApp final : public Application {
 public:
  std::string_view name() const override { return "Record"; }
  std::string_view synopsis() const override { return "Records what the caller says into a file"; }
  std::string_view usage() const override {
    return "Record(file.{wav,ulaw.wav,alaw.wav,flac,opus}[,silence[,maxduration[,options]]])";
  }
  Task<AppResult> exec(Channel& channel, const AppArgs& args) override;
};

}  // namespace zvon::record
