// MixMonitor(file.ext[,options]) records a call in both directions, what the channel's phone
// says and what it hears (the other party through a Dial bridge, prompts, music), mixed into
// one file, while the dialplan goes on. It runs until StopMixMonitor() or hang-up, whatever
// the channel does meanwhile (Playback, Dial ...). It listens to the channel's own media
// endpoint, so a bridge to any codec is recorded the same way.
// Options, as Asterisk's:
//   r(file.ext)  also what the phone said, alone        t(file.ext)  also what it heard, alone
//   D            the main file in two channels (left: said, right: heard) instead of mixed
// Sets MIXMONITOR_FILENAME to the file's path and publishes MixMonitorStart (uniqueid, file):
// the call's CDR names the file in its `recording` column. File names and formats as for
// Record() (recording_format.h). A second MixMonitor on the channel replaces the first.
#pragma once
#include <string>

#include "zvon/application.h"

namespace zvon::record {

struct MixMonitorSettings {
  std::string file;
  std::string received_file, sent_file;  // r() and t(), empty: none
  bool stereo = false;
};

Result<MixMonitorSettings> parse_mix_monitor_args(const AppArgs& args);

class MixMonitorApp final : public Application {
 public:
  std::string_view name() const override { return "MixMonitor"; }
  std::string_view synopsis() const override {
    return "Records both directions of the call into a file while the dialplan goes on";
  }
  std::string_view usage() const override { return "MixMonitor(file.ext[,r(file.ext)t(file.ext)D])"; }
  Task<AppResult> exec(Channel& channel, const AppArgs& args) override;
};

class StopMixMonitorApp final : public Application {
 public:
  std::string_view name() const override { return "StopMixMonitor"; }
  std::string_view synopsis() const override { return "Stops the channel's MixMonitor and closes its files"; }
  std::string_view usage() const override { return "StopMixMonitor()"; }
  Task<AppResult> exec(Channel& channel, const AppArgs& args) override;
};

}  // namespace zvon::record
