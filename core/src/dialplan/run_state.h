// What the dialplan engine keeps for one channel it runs: the snapshot and extension it is in,
// the Gosub stack with its LOCAL variables, and the dry-run / clock settings of
// `dialplan route`. Owned by the engine's run; the channel's loop only.
#pragma once
#include <ctime>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "dialplan/compiled_dialplan.h"
#include "zvon/channel.h"
#include "zvon/module.h"

namespace zvon {

struct GosubFrame {
  DialplanLocation return_to;  // the priority after the Gosub
  // LOCAL() variables of this frame with the value each had before (nullopt: unset), restored
  // by Return.
  std::vector<std::pair<std::string, std::optional<std::string>>> saved;
};

// An application as a run last found it in the registry. It holds a use of its module only
// while the run goes from priority to priority without waiting (see RunState::release_pins).
struct CachedApplication {
  uint64_t generation = ~uint64_t(0);  // of the applications registry; ~0: not looked up
  Application* app = nullptr;
  std::shared_ptr<ModuleUsage> owner;
  bool pinned = false;  // holds a use of `owner`
};

struct RunState {
  std::shared_ptr<const CompiledDialplan> plan;
  // By CompiledPriority::app_id of `apps_of`, the plan they were looked up for.
  std::vector<CachedApplication> apps;
  const CompiledDialplan* apps_of = nullptr;
  // Which of `apps` hold a use (an index may repeat; `pinned` there says whether it still does).
  std::vector<uint32_t> pins;
  // The expanded arguments of the priority running, reused from one priority to the next.
  std::string expanded;
  AppArgs args;
  const CompiledExtension* ext = nullptr;
  std::vector<GosubFrame> stack;
  std::optional<std::time_t> fixed_now;  // the clock of `dialplan route ... at=`
  // `dialplan route`: each step is written here, and applications that would touch the call
  // (answer, play, dial) are listed instead of run.
  std::vector<std::string>* dry_run = nullptr;
  // `dialplan route ... digits=`: the key groups still to press, one per WaitExten or Read.
  std::vector<std::string> dry_digits;
  size_t next_digits = 0;
  bool in_h = false;        // running the h extension after the hang-up
  bool in_e = false;        // running the e extension after an error
  bool trace = false;       // `dialplan trace on` for this channel

  // Lets go of the modules of the applications run since the last wait. Called before the run
  // waits (so that a module whose calls all wait can be unloaded) and when it ends.
  void release_pins() {
    for (uint32_t i : pins)
      if (i < apps.size() && apps[i].pinned) {
        apps[i].owner->release();
        apps[i].pinned = false;
      }
    pins.clear();
  }
  RunState() = default;
  RunState(const RunState&) = delete;
  RunState& operator=(const RunState&) = delete;
  ~RunState() { release_pins(); }
};

}  // namespace zvon
