// The core: owns the loops, registries, module loader, dialplan engine and console server.
// Created and run by main() on the main thread, which becomes the core loop.
#pragma once
#include <atomic>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "zvon/core.h"
#include "console/command_registry.h"
#include "loops.h"
#include "media/sound_cache.h"
#include "module_loader.h"
#include "registry.h"

namespace zvon {

class ConsoleServer;
class DialplanEngine;
class EventBusImpl;
class ChannelRegistry;
class DeviceStateRegistry;

struct CoreSettings {
  Paths paths;
  int workers = 0;  // 0: one per core
  LogLevel log_level = LogLevel::Notice;
  std::string language = "en";  // prompts' language for channels that set none (zvon.conf)
  std::filesystem::path log_file;  // where the daemon logs (main() applies it when it detaches)
  std::filesystem::path console_socket() const { return paths.run_dir / "zvon.ctl"; }
};

// Reads etc/zvon.conf (or the defaults when it is absent). Relative paths are resolved
// against the configuration directory.
Result<CoreSettings> read_core_settings(const std::filesystem::path& config_dir);
// The configuration directory when -C is not given: the checkout's etc/, else /etc/zvon.
std::filesystem::path default_config_dir();

class CoreImpl final : public Core {
 public:
  static Result<std::unique_ptr<CoreImpl>> create(CoreSettings settings);
  explicit CoreImpl(CoreSettings settings);  // prefer create()
  ~CoreImpl() override;

  // Starts the loops, the dialplan, the modules from modules.conf and the console socket.
  // With `console_socket` false no socket is opened (unit tests).
  Result<void> start(bool console_socket = true);
  // Runs the core loop on the calling thread until shutdown; then stops everything.
  void run();

  // Console entry points (the core loop's thread).
  int execute(std::string_view line, CommandOutput& out) { return commands_.execute(line, out); }
  void execute_later(std::string_view line, std::function<void(std::string output, int status)> done) {
    commands_.execute_later(line, std::move(done));
  }
  std::vector<std::string> complete(std::string_view line) { return commands_.complete(line); }

  ModuleLoader& modules() { return *loader_; }
  CommandRegistry& commands() { return commands_; }
  Registries& registries() { return registries_; }
  const CoreSettings& settings() const { return settings_; }
  ChannelRegistry& channel_registry() { return *channel_registry_; }
  DeviceStateRegistry& device_state_registry() { return *device_states_; }
  uint64_t started_at_ms() const { return started_at_ms_; }
  // Prompts already read, shared by the playbacks of every loop (see media/sound_cache.h).
  const std::shared_ptr<SoundCache>& sound_cache() const { return sound_cache_; }

  // Core
  Loops& loops() override { return *loops_; }
  EventBus& events() override;
  const Paths& paths() const override { return settings_.paths; }
  Channels& channels() override;
  DialplanRuntime& dialplan() override;
  DeviceStates& device_states() override;
  Result<Config> load_config(std::string_view file_name) const override;
  Pinned<Application> find_application(std::string_view name) override;
  Pinned<DialplanFunction> find_function(std::string_view name) override;
  Pinned<ChannelTechnology> find_technology(std::string_view name) override;
  Pinned<Codec> find_codec(std::string_view name) override;
  Pinned<HoldMusic> find_hold_music() override;
  Pinned<KeyValueStore> find_key_value_store() override;
  std::vector<std::string> application_names() override;
  void request_shutdown() override;

 private:
  Result<void> load_modules_from_config();
  void shutdown();

  CoreSettings settings_;
  uint64_t started_at_ms_ = 0;
  std::unique_ptr<LoopSet> loops_;
  std::unique_ptr<EventBusImpl> events_;
  std::unique_ptr<ChannelRegistry> channel_registry_;
  std::unique_ptr<DeviceStateRegistry> device_states_;
  Registries registries_;
  CommandRegistry commands_;
  std::unique_ptr<DialplanEngine> dialplan_;
  std::unique_ptr<ModuleLoader> loader_;
  std::unique_ptr<ConsoleServer> console_;
  std::vector<Registration> core_commands_;
  UvHandle<uv_signal_t> sigint_, sigterm_;
  std::atomic<bool> shutting_down_{false};
  std::shared_ptr<SoundCache> sound_cache_ = std::make_shared<SoundCache>();
};

}  // namespace zvon
