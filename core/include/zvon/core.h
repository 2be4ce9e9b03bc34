// The core as modules see it: loops, configuration, registries, the event bus, channels,
// the dialplan runtime. Module code receives a ModuleContext in load(), and reaches the Core
// through it.
#pragma once
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "zvon/application.h"
#include "zvon/channel.h"
#include "zvon/codec.h"
#include "zvon/config.h"
#include "zvon/device_state.h"
#include "zvon/console.h"
#include "zvon/dialplan.h"
#include "zvon/events.h"
#include "zvon/hold_music.h"
#include "zvon/key_value_store.h"
#include "zvon/loop.h"
#include "zvon/module.h"
#include "zvon/result.h"
#include "zvon/technology.h"

namespace zvon {

struct Paths {
  std::filesystem::path config_dir;    // etc/
  std::filesystem::path dialplan_dir;  // dialplan/
  std::filesystem::path sounds_dir;    // generated prompts: <sounds_dir>/<lang>/<name>.wav
  std::filesystem::path modules_dir;   // *.so
  std::filesystem::path run_dir;       // console socket, pid file
  std::filesystem::path data_dir;      // var/: persistent state of modules
};

// The live channels of every loop. Any thread.
class Channels {
 public:
  virtual ~Channels() = default;
  // Snapshots of every live channel (asks each loop). Not from a worker loop.
  virtual std::vector<ChannelInfo> list() = 0;
  virtual size_t count() const = 0;
};

class Core {
 public:
  virtual ~Core() = default;
  virtual Loops& loops() = 0;
  virtual EventBus& events() = 0;
  virtual const Paths& paths() const = 0;
  virtual Channels& channels() = 0;
  virtual DialplanRuntime& dialplan() = 0;
  // Device and hint states (BLF); drivers report their devices' reachability here.
  virtual DeviceStates& device_states() = 0;

  // Parses etc/<file_name> ("sip.conf"). Errors name file:line.
  virtual Result<Config> load_config(std::string_view file_name) const = 0;

  // Looks up a registered thing by name (case-insensitive for applications and functions) and
  // pins its module while the result is held. Empty when none, or its module is unloading.
  // Any thread.
  virtual Pinned<Application> find_application(std::string_view name) = 0;
  virtual Pinned<DialplanFunction> find_function(std::string_view name) = 0;
  virtual Pinned<ChannelTechnology> find_technology(std::string_view name) = 0;
  virtual Pinned<Codec> find_codec(std::string_view name) = 0;
  // The music-on-hold provider, when a module registered one.
  virtual Pinned<HoldMusic> find_hold_music() = 0;
  // The DB() store a module provides (pgsql), when one is loaded; else the core's file.
  virtual Pinned<KeyValueStore> find_key_value_store() = 0;
  virtual std::vector<std::string> application_names() = 0;

  // Asks the daemon to stop (as SIGTERM does). Any thread.
  virtual void request_shutdown() = 0;
};

// What one module gets: the core, and registration that remembers which module owns what.
class ModuleContext {
 public:
  virtual ~ModuleContext() = default;
  virtual Core& core() = 0;
  virtual const std::string& module_name() const = 0;
  // A pin of this module, for objects it creates that outlive a call into it (channels).
  virtual ModuleUse use() = 0;

  // Each fails when the name is taken (by this or another module), saying by which.
  // The registered object must outlive the Registration.
  virtual Result<Registration> add_application(Application& app) = 0;
  virtual Result<Registration> add_function(DialplanFunction& fn) = 0;
  virtual Result<Registration> add_technology(ChannelTechnology& tech) = 0;
  virtual Result<Registration> add_codec(Codec& codec) = 0;
  virtual Result<Registration> add_command(ConsoleCommand command) = 0;
  // Only one module may provide music on hold at a time.
  virtual Result<Registration> add_hold_music(HoldMusic& music) = 0;
  // Only one module may provide the DB() key/value store at a time.
  virtual Result<Registration> add_key_value_store(KeyValueStore& store) = 0;
};

}  // namespace zvon
