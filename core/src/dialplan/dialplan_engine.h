// The dialplan runtime the core owns: parses dialplan/extensions.conf into an immutable
// compiled snapshot, swaps snapshots atomically on reload, and runs channels through it.
#pragma once
#include <filesystem>
#include <memory>
#include <vector>

#include "zvon/core.h"
#include "zvon/dialplan.h"

namespace zvon {

class CommandRegistry;

class DialplanEngine : public DialplanRuntime {
 public:
  // `dir` holds extensions.conf. Nothing is read until load().
  static std::unique_ptr<DialplanEngine> create(Core& core, std::filesystem::path dir);
  // The first load at start: an error (file:line: what) stops the daemon from starting.
  virtual Result<void> load() = 0;
  // dialplan reload, dialplan show [context], ...
  virtual std::vector<Registration> register_commands(CommandRegistry& commands) = 0;
};

}  // namespace zvon
